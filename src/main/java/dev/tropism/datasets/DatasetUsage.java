package dev.tropism.datasets;

/**
 * Implemented by the jobs module so the datasets module can refuse to delete a dataset that a
 * non-terminal job uses (409), without depending on jobs.
 */
public interface DatasetUsage {

    boolean isInUse(String datasetId);
}
