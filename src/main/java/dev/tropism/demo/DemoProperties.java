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
 * @param scenario {@code arithmetic} (the first demo: pretrain, then GRPO) or {@code byo-model} (profile
 *     {@code demo-byo}: the base model leaves as a HuggingFace directory, comes back by import, and is aligned with
 *     GRPO under LoRA, served and exported)
 * @param importModel for {@code byo-model}: a HuggingFace model directory or archive (.tar, .tar.gz, .zip) to import
 *     instead of the exported tiny-gpt; empty for the tiny-gpt
 * @param loraLearningRate the GRPO learning rate of the {@code byo-model} demo's LoRA adapters
 * @param tokenizer the base tiny-gpt's {@code tokenizer} hyperparameter: {@code char} (the first demo) or
 *     {@code gpt2} (the {@code byo-model} demo, so that the exported and re-imported model runs on GPT-2's real BPE)
 */
@ConfigurationProperties("tropism.demo")
public record DemoProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("false") boolean exitWhenDone,
        @DefaultValue("1500") int pretrainSteps,
        @DefaultValue("0.3") double baseAccuracyTarget,
        @DefaultValue("200") int grpoSteps,
        @DefaultValue("1") long seed,
        @DefaultValue("arithmetic") String scenario,
        @DefaultValue("") String importModel,
        @DefaultValue("1e-3") double loraLearningRate,
        @DefaultValue("char") String tokenizer) {

    public DemoProperties {
        if (!scenario.equals("arithmetic") && !scenario.equals("byo-model")) {
            throw new IllegalArgumentException("tropism.demo.scenario must be arithmetic or byo-model, got " + scenario);
        }
        if (!tokenizer.equals("char") && !tokenizer.equals("gpt2")) {
            throw new IllegalArgumentException("tropism.demo.tokenizer must be char or gpt2, got " + tokenizer);
        }
    }
}
