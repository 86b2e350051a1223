package dev.tropism.demo;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The end-to-end demo (profile {@code demo}).
 *
 * @param enabled run the demo once the service is up
 * @param exitWhenDone stop the service when the demo ends (benchmarks); otherwise it keeps serving
 * @param pretrainSteps pretraining steps of the base model; stopped early on purpose so RL has room
 * @param grpoSteps GRPO steps
 */
@ConfigurationProperties("tropism.demo")
public record DemoProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("false") boolean exitWhenDone,
        @DefaultValue("300") int pretrainSteps,
        @DefaultValue("200") int grpoSteps) {
}
