package dev.tropism.evaluations;

import dev.tropism.jobs.ModelReferences;
import java.util.Collection;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The evaluations' uses of a model, for checkpoint retention: an eval suite's {@code policy} or {@code baseline} (any
 * version: suites are immutable and any version can still be run), and a queued or running evaluation's candidate or
 * baseline. A finished evaluation keeps its report without the model.
 */
@Component
class EvaluationModelReferences implements ModelReferences {

    private final EvalSuiteStore suites;
    private final EvaluationStore evaluations;

    EvaluationModelReferences(EvalSuiteStore suites, EvaluationStore evaluations) {
        this.suites = suites;
        this.evaluations = evaluations;
    }

    @Override
    public Optional<String> referencing(Collection<String> modelIds) {
        return suites.usingModel(modelIds).or(() -> evaluations.usingModel(modelIds));
    }
}
