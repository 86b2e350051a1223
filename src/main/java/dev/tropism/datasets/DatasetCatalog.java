package dev.tropism.datasets;

import dev.tropism.teams.Caller;
import java.util.List;
import java.util.Map;

/** The catalog's public face for datasets, used by the jobs module. */
public interface DatasetCatalog {

    /** The caller's dataset; another team's or a missing id throws {@code ApiException.notFound}. */
    DatasetInfo get(Caller caller, String datasetId);

    /** Every line of the caller's dataset, parsed, in file order. */
    List<Map<String, Object>> readItems(Caller caller, String datasetId);
}
