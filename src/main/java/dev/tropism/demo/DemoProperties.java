package dev.tropism.demo;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The end-to-end demo (profile {@code demo}).
 *
 * @param enabled run the demo once the service is up
 * @param exitWhenDone stop the service when the demo ends (benchmarks); otherwise it keeps serving
 * @param pretrainSteps pretraining step budget of the base model (it stops earlier, see below)
 * @param baseAccuracyTarget pretraining stops once greedy accuracy on the RL prompts reaches this, so
 *     the base model leaves RL room to improve
 * @param grpoSteps GRPO steps
 * @param seed seed of both jobs
 */
@ConfigurationProperties("tropism.demo")
public record DemoProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("false") boolean exitWhenDone,
        @DefaultValue("1500") int pretrainSteps,
        @DefaultValue("0.3") double baseAccuracyTarget,
        @DefaultValue("200") int grpoSteps,
        @DefaultValue("1") long seed) {
}
