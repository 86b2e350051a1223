package dev.tropism.dryruns;

import dev.tropism.jobs.ModelReferences;
import java.util.Collection;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The dry-runs' uses of a model, for checkpoint retention: a queued or running dry-run samples from it. */
@Component
class DryRunModelReferences implements ModelReferences {

    private final DryRunStore runs;

    DryRunModelReferences(DryRunStore runs) {
        this.runs = runs;
    }

    @Override
    public Optional<String> referencing(Collection<String> modelIds) {
        return runs.usingModel(modelIds);
    }
}
