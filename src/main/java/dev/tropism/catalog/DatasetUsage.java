package dev.tropism.catalog;

/**
 * Implemented by the jobs module so the catalog can refuse to delete a dataset that a
 * non-terminal job uses (409), without the catalog depending on jobs.
 */
public interface DatasetUsage {

    boolean isInUse(String datasetId);
}
