package dev.tropism.jobs;

import dev.tropism.storage.ObjectStore;
import dev.tropism.storage.StoredObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * The sample galleries of image jobs: the PNG grid a run draws at each evaluation, kept in object storage at
 * {@code jobs/<job id>/samples/<step>.png} so that it survives restarts. A re-run step (after a resume)
 * overwrites its grid with the same fixed-seed samples.
 */
@Component
public class JobSamples {

    private static final Pattern KEY = Pattern.compile("(\\d{1,9})\\.png");

    private final ObjectStore store;

    public JobSamples(ObjectStore store) {
        this.store = store;
    }

    /** One stored grid. */
    public record Sample(int step, Instant createdAt) {
    }

    private static String prefix(String jobId) {
        return "jobs/" + jobId + "/samples/";
    }

    public void put(String jobId, int step, byte[] png) throws IOException {
        store.put(prefix(jobId) + step + ".png", new ByteArrayInputStream(png));
    }

    /** The job's grids, by step. */
    public List<Sample> list(String jobId) {
        List<Sample> out = new ArrayList<>();
        try {
            for (StoredObject o : store.list(prefix(jobId))) {
                Matcher m = KEY.matcher(o.key().substring(prefix(jobId).length()));
                if (m.matches()) {
                    out.add(new Sample(Integer.parseInt(m.group(1)), o.lastModified()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparingInt(Sample::step));
        return out;
    }

    /** The PNG bytes of the grid at {@code step}; empty when there is none. */
    public Optional<byte[]> get(String jobId, int step) {
        try {
            Optional<InputStream> in = store.get(prefix(jobId) + step + ".png");
            if (in.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream stream = in.get()) {
                return Optional.of(stream.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
