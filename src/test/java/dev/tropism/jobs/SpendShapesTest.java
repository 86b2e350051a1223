package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.billing.Pricing;
import dev.tropism.billing.PricingProperties;
import dev.tropism.billing.Spend;
import dev.tropism.web.Violation;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The FLOP estimate of a job before any comparable run was measured: its shape, and the amount it prices to. */
class SpendShapesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void grpoCountsEverySampledTokenAndPretrainingItsOwnParameters() {
        List<Violation> violations = new ArrayList<>();
        var grpo = new JobMethod.Grpo(MethodConfigs.grpo(JSON.readTree("{\"max_steps\": 10, \"prompts_per_step\": 4,"
                + " \"num_generations\": 4, \"num_iterations\": 2, \"max_completion_length\": 8}"), "/m", violations),
                null);
        var pretrain = MethodConfigs.pretrain(JSON.readTree("{\"n_layer\": 2, \"n_embd\": 16, \"n_head\": 2,"
                + " \"block_size\": 12, \"batch_size\": 8, \"max_steps\": 5}"), "/m", violations);
        assertThat(violations).isEmpty();

        assertThat(SpendShapes.of(grpo, 1000L, true)).isEqualTo(new Spend.FlopShape(1000, 4 * 4 * 2 * (8 + 32), true));
        assertThat(SpendShapes.of(grpo, null, false)).as("unknown size: no estimate").isNull();
        long params = 12L * 2 * 16 * 16 + (long) (pretrain.model().vocabSize() + 12) * 16;
        assertThat(SpendShapes.of(pretrain, null, false)).isEqualTo(new Spend.FlopShape(params, 8 * 12, false));

        // 6 × 1000 × 1280 tokens × 10 steps at 2e14 FLOP/s on cuda (0.0008 per second)
        Pricing pricing = new Pricing(new PricingProperties("USD", new BigDecimal("0.00005"), new BigDecimal("0.0008"),
                null, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, null));
        Spend.Estimate estimate = new Spend(null, pricing, null).estimate(null, null, 10, SpendShapes.of(grpo, 1000L,
                true));
        double seconds = 6.0 * 1000 * 1280 * 10 / 2e14;
        assertThat(estimate.deviceSeconds()).isEqualTo(seconds);
        assertThat(estimate.amount()).isEqualByComparingTo(pricing.deviceTime("cuda", seconds));
        assertThat(estimate.basis()).startsWith("flops: 6 × 1000 parameters × 1280 tokens/step");
        assertThat(new Spend(null, pricing, null).estimate(null, null, 10, null)).isEqualTo(Spend.Estimate.NONE);
    }
}
