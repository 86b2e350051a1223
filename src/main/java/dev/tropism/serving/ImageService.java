package dev.tropism.serving;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tropism.engine.GeneratedImages;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.flow.FkSteering;
import dev.tropism.engine.flow.FlowModel;
import dev.tropism.engine.flow.Noise;
import dev.tropism.engine.flow.Png;
import dev.tropism.engine.flow.SteeringConfig;
import dev.tropism.models.ModelRecord;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.teams.Caller;
import dev.tropism.usage.UsageRecorder;
import dev.tropism.web.ApiException;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Image generation for {@code POST /v1/images/generations} on the caller's flow-matching model.
 *
 * <ul>
 *   <li>Seeds: with request seed s, plain image i starts from the noise seeded {@code Noise.mix(s, i)}; a
 *       steered image i uses particles (or candidates) j seeded {@code Noise.mix(s, i·N + j)}. So a seeded
 *       request is reproducible, and best-of-N's image 0 chooses among exactly the N plain images of the same
 *       seed.</li>
 *   <li>Steering: {@code fk} ({@link FkSteering}, Feynman–Kac) or {@code best_of_n}, scored by the request's
 *       reward spec compiled for the caller's team, on {@link RewardBatch#ofImages} with item
 *       {@code {"prompt": <class>}}.</li>
 *   <li>Generation runs off the request thread, on {@code tropism.serving.image-concurrency} threads with a
 *       queue of {@code image-queue-capacity} requests; beyond that a request answers 429.</li>
 * </ul>
 */
@Service
class ImageService {

    /** Returned PNGs are scaled up this many times (nearest neighbour): 14×14 samples become 56×56. */
    static final int ZOOM = 4;
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final FlowModels models;
    private final RewardSpecCatalog specs;
    private final UsageRecorder usage;
    private final ThreadPoolExecutor pool;

    ImageService(FlowModels models, RewardSpecCatalog specs, UsageRecorder usage, ServingProperties properties) {
        this.models = models;
        this.specs = specs;
        this.usage = usage;
        AtomicInteger threads = new AtomicInteger();
        int q = properties.imageQueueCapacity();
        this.pool = new ThreadPoolExecutor(properties.imageConcurrency(), properties.imageConcurrency(), 0,
                TimeUnit.MILLISECONDS, q == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(q), r -> {
                    Thread t = new Thread(r, "image-generation-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** The OpenAI answer, plus {@code tropism} (steered requests only). */
    record ImagesResponse(long created, List<ImageData> data,
            @JsonInclude(JsonInclude.Include.NON_NULL) SteeringReport tropism) {
    }

    record ImageData(String b64Json) {
    }

    /**
     * What steering did.
     *
     * @param rewards per returned image, its reward under the spec
     * @param particles N per image
     * @param resamplings per image, how often FK resampled its particles (0 for best_of_n)
     */
    record SteeringReport(String steering, String rewardSpec, List<Double> rewards, int particles,
            List<Integer> resamplings) {
    }

    /**
     * Validates against the caller's resources on the request thread (model, reward spec), then generates on
     * the image pool.
     *
     * @throws OpenAiException 404 for a model or reward spec the caller does not have; 400 for a model of
     *     another family or not ready, or {@code response_format: url}; 429 when the queue is full
     */
    CompletableFuture<ImagesResponse> generate(Caller caller, ImageRequests.ImageParams p) {
        String team = caller.requireTeam();
        ModelRecord record = models.resolve(team, p.model());
        if (!"b64_json".equals(p.responseFormat())) {
            // Images are returned inline: URLs would need stored images with an expiry policy (and an
            // authenticated download route) that Tropism does not have.
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "response_format",
                    "unsupported_value", "'response_format' 'url' is not supported: Tropism returns images inline;"
                    + " use 'b64_json'.", null);
        }
        RewardFunction reward = p.steering() == null ? null : rewardFunction(caller, p.steering().rewardSpec());
        long seed = p.seed() != null ? p.seed() : ThreadLocalRandom.current().nextLong();
        try {
            return CompletableFuture.supplyAsync(() -> models.use(record, m -> render(m, p, seed, reward)), pool)
                    .whenComplete((r, e) -> {
                        if (r != null) {
                            usage.record(team, record.id(), 0, 0, r.data().size());
                        }
                    });
        } catch (RejectedExecutionException e) {
            throw new OpenAiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", null, "queue_full",
                    "Too many image requests are waiting; retry shortly.", RETRY_AFTER);
        }
    }

    private RewardFunction rewardFunction(Caller caller, String id) {
        try {
            return specs.rewardFunction(caller, id);
        } catch (ApiException e) {
            if (e.status() == HttpStatus.NOT_FOUND) {
                throw new OpenAiException(HttpStatus.NOT_FOUND, OpenAiException.INVALID_REQUEST, "steering.reward_spec",
                        "reward_spec_not_found", "The reward spec '" + id + "' does not exist or you do not have access"
                        + " to it.", null);
            }
            throw new OpenAiException(e.status(), OpenAiException.INVALID_REQUEST, "steering.reward_spec", e.code(),
                    e.getMessage(), null);
        }
    }

    private ImagesResponse render(FlowModel model, ImageRequests.ImageParams p, long seed, RewardFunction reward) {
        int label = model.classIndex(p.prompt());
        if (label < 0) {
            throw OpenAiException.invalid("prompt", "'prompt' must be one of this model's classes: "
                    + model.classes() + ".");
        }
        int steps = p.steps() != null ? p.steps() : model.defaultSteps();
        double guidance = p.guidanceScale() != null ? p.guidanceScale() : model.defaultGuidance();
        int side = model.imageSize();
        List<ImageData> data = new ArrayList<>(p.n());
        if (p.steering() == null) {
            int[] labels = new int[p.n()];
            java.util.Arrays.fill(labels, label);
            for (float[] image : model.generate(labels, Noise.seeds(seed, p.n()), steps, guidance)) {
                data.add(png(image, side));
            }
            return new ImagesResponse(Instant.now().getEpochSecond(), data, null);
        }
        SteeringConfig config = ImageRequests.config(p.steering());
        int particles = config.particles();
        FkSteering.ImageScorer scorer = (images, l) -> score(reward, model.classes().get(l), images, side);
        List<Double> rewards = new ArrayList<>(p.n());
        List<Integer> resamplings = new ArrayList<>(p.n());
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < p.n(); i++) {
                long[] seeds = new long[particles];
                for (int j = 0; j < particles; j++) {
                    seeds[j] = Noise.mix(seed, (long) i * particles + j);
                }
                FkSteering.Result r = FkSteering.generate(model.net(), label, seeds, steps, guidance, config, scorer, m);
                data.add(png(r.image(), side));
                rewards.add(r.reward());
                resamplings.add(r.resamplings());
            }
        }
        return new ImagesResponse(Instant.now().getEpochSecond(), data, new SteeringReport(config.method(),
                p.steering().rewardSpec(), rewards, particles, resamplings));
    }

    /** The spec's reward of each image of class {@code className}; a sample it cannot score counts 0. */
    private static double[] score(RewardFunction reward, String className, float[][] images, int side) {
        List<Map<String, Object>> items = Collections.nCopies(images.length, Map.of("prompt", className));
        List<RewardResult> results = RewardFunction.scoreSafely(reward,
                RewardBatch.ofImages(items, new GeneratedImages(side, List.of(images)), images.length));
        double[] out = new double[images.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = results.get(i).reward();
        }
        return out;
    }

    private static ImageData png(float[] image, int side) {
        return new ImageData(Base64.getEncoder().encodeToString(Png.grid(new float[][] {image}, side, 1, ZOOM)));
    }

    @PreDestroy
    void close() {
        pool.shutdownNow();
    }
}
