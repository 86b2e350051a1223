package dev.tropism.engine.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.PretrainSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the language-model method tests share: a tiny base model that answers each prompt "a=".."h=" with "x", "y" or
 * "z" about equally often (pretraining cannot tell them apart, so a reward that accepts only "x" starts near 1/3 and
 * only the alignment method can raise it), and the checks every method must pass: exact resume and flat native
 * memory.
 */
public final class LmMethodFixture {

    public static final String[] CANDIDATES = {"x", "y", "z"};
    /** 1 for the item's {@code answer}, else 0. */
    public static final RewardFunction EXACT_MATCH =
            RewardFunction.perSample((item, output) -> RewardResult.of(output.equals(item.get("answer")) ? 1.0 : 0.0));

    private static Path base;
    private static final List<Map<String, Object>> ITEMS = new ArrayList<>();

    private LmMethodFixture() {
    }

    /** The eight prompt items, each {@code {"prompt": "a=", "answer": "x"}}. */
    public static synchronized List<Map<String, Object>> items() {
        if (ITEMS.isEmpty()) {
            for (int p = 0; p < 8; p++) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("prompt", (char) ('a' + p) + "=");
                item.put("answer", "x");
                ITEMS.add(item);
            }
        }
        return List.copyOf(ITEMS);
    }

    /** The pretrained base model (block size 8), built once per test JVM. */
    public static synchronized Path base() throws IOException {
        if (base != null) {
            return base;
        }
        List<String> corpus = new ArrayList<>();
        for (Map<String, Object> item : items()) {
            for (int rep = 0; rep < 4; rep++) {
                for (String c : CANDIDATES) {
                    corpus.add(item.get("prompt") + c);
                }
            }
        }
        PretrainSpec spec = new PretrainSpec(new GptConfig(2, 32, 4, 8, 4),
                new PretrainConfig(150, 32, 3e-3, 0.1, 15, 0.0, 1.0, 0, 0.0, 0.0, 500, 8), corpus, 5);
        Path dir = Files.createTempDirectory("lm-method-base");
        dir.toFile().deleteOnExit();
        try (TrainingRun run = Engine.open(spec)) {
            for (int i = 0; i < spec.training().maxSteps(); i++) {
                run.trainStep();
            }
            run.exportModel(dir);
        }
        base = dir;
        return base;
    }

    /**
     * {@code type}'s default config with the components named in {@code overrides} (camelCase record component names)
     * replaced; names the record lacks are ignored, so one map can configure every method.
     */
    public static LmMethodConfig config(LmMethodType type, Map<String, Object> overrides) {
        Record defaults = type.defaults();
        java.lang.reflect.RecordComponent[] components = defaults.getClass().getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                Object given = overrides.get(components[i].getName());
                args[i] = given != null ? given : components[i].getAccessor().invoke(defaults);
            }
            return (LmMethodConfig) defaults.getClass().getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + ": " + e, e);
        }
    }

    /** A run of {@code type} on the fixture's base and items (also its eval items), scored by {@link #EXACT_MATCH}. */
    public static LmAlignSpec spec(LmMethodType type, LmMethodConfig config, long seed) throws IOException {
        return new LmAlignSpec(base(), type, config, items(), items(), EXACT_MATCH, null, seed, null);
    }

    /** What {@link #train} measured: each step's metrics and the greedy eval accuracy before and after. */
    public record Trained(List<Map<String, Double>> steps, double accuracyBefore, double accuracyAfter) {

        /** Mean of {@code name} over steps [from, to). */
        public double mean(int from, int to, String name) {
            return LmMethodFixture.mean(steps.subList(from, to), name);
        }
    }

    /** Evaluates, trains {@code steps} steps and evaluates again. */
    public static Trained train(LmAlignSpec spec, int steps) throws IOException {
        List<Map<String, Double>> log = new ArrayList<>();
        try (TrainingRun run = Engine.open(spec)) {
            double before = run.evaluate().get(MetricNames.EVAL_ACCURACY);
            for (int i = 0; i < steps; i++) {
                log.add(run.trainStep());
            }
            return new Trained(log, before, run.evaluate().get(MetricNames.EVAL_ACCURACY));
        }
    }

    /** Mean of {@code name} over {@code steps}. */
    public static double mean(List<Map<String, Double>> steps, String name) {
        return steps.stream().mapToDouble(s -> s.get(name)).average().orElseThrow();
    }

    /**
     * Three straight steps against two steps, a checkpoint and one resumed step: the third step's metrics (all but
     * {@code perf/*}) are identical, so weights, optimizer state, step, RNG streams and any further trained state were
     * restored exactly.
     */
    public static void assertResumesExactly(LmAlignSpec spec, Path checkpoint) throws IOException {
        assertResumesExactly(spec, checkpoint, run -> "");
    }

    /**
     * {@link #assertResumesExactly(LmAlignSpec, Path)}, and {@code trainedState} of the run after its third step (a
     * method's further trained state: a value head, log Z, a replay buffer) is equal too.
     */
    public static void assertResumesExactly(LmAlignSpec spec, Path checkpoint, Function<TrainingRun, Object> trainedState)
            throws IOException {
        Map<String, Double> straight;
        Object straightState;
        try (TrainingRun run = Engine.open(spec)) {
            run.trainStep();
            run.trainStep();
            straight = run.trainStep();
            straightState = trainedState.apply(run);
        }
        try (TrainingRun run = Engine.open(spec)) {
            run.trainStep();
            run.trainStep();
            run.saveCheckpoint(checkpoint);
        }
        Map<String, Double> resumed;
        try (TrainingRun run = Engine.resume(spec, checkpoint)) {
            assertEquals(2, run.step());
            resumed = run.trainStep();
            assertEquals(3, run.step());
            assertEquals(straightState, trainedState.apply(run), spec.method().wireName() + " trained state");
        }
        assertTrue(straight.containsKey(MetricNames.TRAIN_LOSS), straight.toString());
        for (Map.Entry<String, Double> e : straight.entrySet()) {
            if (!e.getKey().startsWith("perf/")) {
                assertEquals(e.getValue(), resumed.get(e.getKey()), spec.method().wireName() + " " + e.getKey());
            }
        }
    }

    /** After a warm-up step and an evaluation, further steps and evaluations leave no native array behind. */
    public static void assertNativeArraysFlat(LmAlignSpec spec) throws IOException {
        try (LmRun run = (LmRun) Engine.open(spec)) {
            run.trainStep();
            run.evaluate();
            int after = run.root().getManagedArrays().size();
            run.trainStep();
            run.trainStep();
            run.evaluate();
            run.trainStep();
            assertEquals(after, run.root().getManagedArrays().size(), spec.method().wireName() + " live arrays");
        }
    }
}
