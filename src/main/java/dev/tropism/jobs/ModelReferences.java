package dev.tropism.jobs;

import java.util.Collection;
import java.util.Optional;

/**
 * What in another module still uses a model, as checkpoint retention needs to know before it deletes a checkpoint and
 * marks its {@code <name>@<step>} model {@code deleted}. Modules that depend on {@code jobs} and keep model ids (eval
 * suites and evaluations, dry-runs) implement it, so that {@code jobs} never depends on them; retention asks every
 * implementation (there may be none).
 */
public interface ModelReferences {

    /**
     * Why one of {@code modelIds} must be kept, for the message ({@code "eval suite helpful v2 (suite_…) uses model_…
     * as its policy"}); empty when nothing of this module references any of them.
     */
    Optional<String> referencing(Collection<String> modelIds);
}
