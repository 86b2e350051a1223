package dev.tropism.engine.flow;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Layers#conv} against a float64 reference, forward and backward, many times on the same inputs. The
 * backward-data kernel of libtorch 2.7.1's oneDNN reads stale memory in the padded output channels of its last
 * channel block: with Cout = 1 the raw kernel's input gradient was wrong or NaN on about half of all calls here
 * (docs/native-kernels.md; {@code ConvKernelBenchmark} measures the raw kernel on a machine).
 */
class LayersTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 16, 17})
    void convolutionMatchesAFloat64ReferenceOnEveryCall(int cOut) {
        ConvReference ref = new ConvReference(cOut, cOut);
        int wrong = ref.wrongCalls(100, a -> Layers.conv(a[0], a[1], a[2], 1));
        assertThat(wrong).as("calls of 100 with a wrong output or gradient, Cout = %d", cOut).isZero();
    }
}
