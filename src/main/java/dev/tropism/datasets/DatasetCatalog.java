package dev.tropism.datasets;

import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;

/** The datasets module's public face, used by the jobs, models and evaluation modules. */
public interface DatasetCatalog {

    /** The caller's dataset; another team's or a missing id throws {@code ApiException.notFound}. */
    DatasetInfo get(Caller caller, String datasetId);

    /** Every line of the caller's dataset, parsed, in file order. */
    List<Map<String, Object>> readItems(Caller caller, String datasetId);

    /**
     * The caller's dataset {@code id} of {@code purpose} for a request being validated; null, with a violation at
     * {@code pointer}, when it is missing (and {@code required}), unknown or another team's, or of another purpose.
     */
    default DatasetInfo find(Caller caller, String pointer, String id, boolean required, DatasetPurpose purpose,
            List<Violation> violations) {
        if (id == null) {
            if (required) {
                violations.add(new Violation(pointer, "is required"));
            }
            return null;
        }
        DatasetInfo info;
        try {
            info = get(caller, id);
        } catch (ApiException e) {
            if (e.status() != HttpStatus.NOT_FOUND) {
                throw e;
            }
            violations.add(new Violation(pointer, "no dataset with id '" + id + "'"));
            return null;
        }
        if (info.purpose() != purpose) {
            violations.add(new Violation(pointer, "dataset " + id + " has purpose "
                    + info.purpose().name().toLowerCase(Locale.ROOT) + "; it must be "
                    + purpose.name().toLowerCase(Locale.ROOT)));
            return null;
        }
        return info;
    }
}
