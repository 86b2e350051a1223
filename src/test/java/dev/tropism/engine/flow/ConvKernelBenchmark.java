package dev.tropism.engine.flow;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Checks this machine's native convolution kernels: for several output-channel counts, how many of 300
 * forward+backward calls of the raw {@code Conv2d.conv2d} and of {@link Layers#conv} (whole channel blocks) are
 * off a float64 reference. Prints a table; see docs/native-kernels.md.
 *
 * <pre>./mvnw -B -Pbench test -Dskip.frontend -Dtest=ConvKernelBenchmark</pre>
 *
 * Run it with {@code ONEDNN_MAX_CPU_ISA=AVX2} (or another ISA) in the environment to check other kernels.
 */
@Tag("bench")
class ConvKernelBenchmark {

    private static final int CALLS = 300;

    @Test
    void rawKernelAgainstWholeBlocks() {
        StringBuilder table = new StringBuilder("\n| Cout | raw Conv2d: wrong calls | Layers.conv: wrong calls |\n|---|---|---|\n");
        for (int cOut : new int[] {1, 2, 3, 8, 16, 17, 32}) {
            ConvReference ref = new ConvReference(cOut, cOut);
            int raw = ref.wrongCalls(CALLS, a -> Conv2d.conv2d(a[0], a[1], a[2], new Shape(1, 1), new Shape(1, 1),
                    new Shape(1, 1), 1).singletonOrThrow());
            int blocks = ref.wrongCalls(CALLS, a -> Layers.conv(a[0], a[1], a[2], 1));
            table.append(String.format("| %d | %d / %d | %d / %d |%n", cOut, raw, CALLS, blocks, CALLS));
        }
        table.append("ONEDNN_MAX_CPU_ISA=").append(System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "(unset)"));
        System.out.println(table);
    }
}
