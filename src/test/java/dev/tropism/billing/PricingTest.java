package dev.tropism.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code tropism.pricing.*}: validated at startup, device classes from GPU names, and the amounts they give. */
class PricingTest {

    private static PricingProperties props(String currency, String cpu, Map<String, BigDecimal> gpu) {
        return new PricingProperties(currency, new BigDecimal(cpu), new BigDecimal("0.0008"), gpu,
                new BigDecimal("0.0000005"), new BigDecimal("0.0000015"), new BigDecimal("0.002"), null);
    }

    @Test
    void gpuModelsMatchTheirConfiguredPriceByWholeWordsAndTheMostSpecificWins() {
        Pricing pricing = new Pricing(props("USD", "0.00005", Map.of("h100-second", new BigDecimal("0.0011"),
                "h100-sxm-second", new BigDecimal("0.0013"), "a10-second", new BigDecimal("0.0003"))));
        assertThat(pricing.deviceClass(false, null)).isEqualTo("cpu");
        assertThat(pricing.deviceClass(true, "NVIDIA H100 80GB HBM3")).isEqualTo("gpu:h100");
        assertThat(pricing.deviceClass(true, "NVIDIA H100 SXM 80GB")).isEqualTo("gpu:h100-sxm");
        assertThat(pricing.deviceClass(true, "NVIDIA A100-SXM4-40GB")).as("a10 is not a word of it").isEqualTo("cuda");
        assertThat(pricing.deviceClass(true, null)).isEqualTo("cuda");
        assertThat(pricing.perSecond("gpu:h100")).isEqualByComparingTo("0.0011");
        assertThat(pricing.perSecond("cuda")).isEqualByComparingTo("0.0008");
        assertThat(pricing.perSecond("cpu")).isEqualByComparingTo("0.00005");
        assertThat(pricing.perSecond("gpu:gone")).as("a class whose price was removed").isEqualByComparingTo("0.0008");
        assertThat(pricing.deviceTime("gpu:h100", 3600)).isEqualByComparingTo("3.96");
        assertThat(pricing.serving(1000, 2000, 3)).isEqualByComparingTo("0.0095"); // 0.0005 + 0.003 + 0.006
        assertThat(pricing.assumedFlopsPerSecond(false)).isEqualTo(2e10);
    }

    @Test
    void badPricesAreRefusedAtStartup() {
        assertThatThrownBy(() -> props("usd", "0.1", null)).hasMessageContaining("tropism.pricing.currency");
        assertThatThrownBy(() -> props("USD", "-0.1", null)).hasMessageContaining("tropism.pricing.cpu-second");
        assertThatThrownBy(() -> props("USD", "0.1", Map.of("h100", BigDecimal.ONE)))
                .hasMessageContaining("tropism.pricing.gpu.h100");
        assertThatThrownBy(() -> props("USD", "0.1", Map.of("h100-second", new BigDecimal("-1"))))
                .hasMessageContaining("must be a price of 0 or more");
        assertThatThrownBy(() -> new PricingProperties("USD", BigDecimal.ONE, BigDecimal.ONE, null, BigDecimal.ONE,
                BigDecimal.ONE, BigDecimal.ONE, Map.of("cpu", 0.0, "cuda", 1e14)))
                .hasMessageContaining("assumed-flops-per-second.cpu");
    }
}
