package dev.tropism.engine;

import dev.tropism.engine.flowrl.FlowAlignSpec;
import dev.tropism.engine.flowrl.FlowMethodType;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowPretrainConfig;
import dev.tropism.engine.flow.FlowPretrainSpec;
import dev.tropism.engine.flowrl.FlowRlConfig;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.PretrainSpec;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rl.GrpoSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Trains a few steps of each family with fixed seeds and prints one line per run, {@code <run> <sha-256 of the
 * exported weights>}. {@link CrossProcessDeterminismTest} runs it in two JVMs and compares the lines.
 */
public final class DeterminismProbe {

    private DeterminismProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path tmp = Files.createTempDirectory("determinism-probe");
        Map<String, String> hashes = new LinkedHashMap<>();

        // Flow matching: tiny-flow pretraining (classifiers first), then Flow-GRPO on the result.
        Path flowBase = tmp.resolve("flow-base");
        FlowPretrainConfig flowCfg = new FlowPretrainConfig(6, 32, 3e-3, 2, 0, 1, 0.1, 1.0, 4, 0, 10);
        train(new FlowPretrainSpec(new FlowNetConfig(14, 16, 2, 10, 32, 4), flowCfg, 3), 6, flowBase);
        hashes.put("flow_pretrain", hash(flowBase));
        List<Map<String, Object>> classes = new ArrayList<>();
        for (String c : List.of("trouser", "bag")) {
            classes.add(Map.of("prompt", c));
        }
        RewardFunction brightness = batch -> {
            List<RewardResult> out = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                double sum = 0;
                for (float v : batch.images().get(i)) {
                    sum += v;
                }
                out.add(RewardResult.of(sum / batch.images().get(i).length));
            }
            return out;
        };
        FlowRlConfig rl = new FlowRlConfig(3, 2, 4, 4, 0.7, 1.0, 0, 3e-3, 0, 0.0, 1.0, 0.0, 1e-4, 5.0, 1, 0, 4, 0.5);
        Path flowAligned = tmp.resolve("flow-grpo");
        train(new FlowAlignSpec(flowBase, FlowMethodType.FLOW_GRPO, rl, null, classes, List.of(), brightness, null, 7), 3,
                flowAligned);
        hashes.put("flow_grpo", hash(flowAligned));

        // Language model: tiny-gpt pretraining, then GRPO.
        List<String> corpus = new ArrayList<>();
        List<Map<String, Object>> prompts = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            for (String c : List.of("x", "y", "z")) {
                corpus.add((char) ('a' + p) + "=" + c);
            }
            prompts.add(Map.of("prompt", (char) ('a' + p) + "=", "answer", "x"));
        }
        Path lmBase = tmp.resolve("lm-base");
        train(new PretrainSpec(new GptConfig(2, 32, 4, 8, 4),
                new PretrainConfig(20, 16, 3e-3, 0.1, 2, 0.0, 1.0, 0, 0.0, 0.0, 500, 8), corpus, 5), 20, lmBase);
        hashes.put("lm_pretrain", hash(lmBase));
        RewardFunction exact = RewardFunction.perSample(
                (item, output) -> RewardResult.of(output.equals(item.get("answer")) ? 1.0 : 0.0));
        GrpoConfig grpo = new GrpoConfig(3, 4, 4, 1, 3e-3, 0, 0.0, 1.0, 0.04, 0.2, 0.28,
                GrpoConfig.ScaleRewards.GROUP, GrpoConfig.LossType.DAPO, false, 3, 1.0, 1.0, 0, 1000, 1.0);
        Path lmAligned = tmp.resolve("grpo");
        train(new GrpoSpec(lmBase, grpo, prompts, List.of(), exact, 9, null), 3, lmAligned);
        hashes.put("grpo", hash(lmAligned));

        hashes.forEach((run, sha) -> System.out.println("determinism " + run + " " + sha));
    }

    private static void train(RunSpec spec, int steps, Path export) throws IOException {
        try (TrainingRun run = Engine.open(spec)) {
            for (int i = 0; i < steps; i++) {
                run.trainStep();
            }
            run.exportModel(export);
        }
    }

    /** SHA-256 over every exported file, in path order. */
    private static String hash(Path dir) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            sha.update(dir.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(f));
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
