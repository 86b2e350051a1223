package dev.tropism.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The same seeds and thread settings give bit-identical weights in two separate JVMs, after a few steps of
 * flow-matching pretraining, Flow-GRPO, language-model pretraining and GRPO. In one JVM a nondeterministic input
 * (uninitialized or freed native memory read by a kernel) can repeat itself; across processes it does not. This
 * test failed on every run before the convolution fix of docs/native-kernels.md.
 */
class CrossProcessDeterminismTest {

    @Test
    void twoJvmsTrainBitIdenticalWeights() throws Exception {
        List<String> first = probe();
        List<String> second = probe();
        assertThat(first).extracting(line -> line.split(" ")[1])
                .containsExactly("flow_pretrain", "flow_grpo", "lm_pretrain", "grpo");
        assertThat(second).as("weight hashes of a second JVM").containsExactlyElementsOf(first);
    }

    /** Runs {@link DeterminismProbe} in a fresh JVM with this test's classpath; its {@code determinism} lines. */
    private static List<String> probe() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                DeterminismProbe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("probe finished").isTrue();
        assertThat(p.exitValue()).as("probe output:%n%s", out).isZero();
        return out.lines().filter(l -> l.startsWith("determinism ")).toList();
    }
}
