/**
 * The ML engine: a plain Java library on DJL (PyTorch engine). It knows nothing of HTTP, databases or Spring, and
 * depends on no other Tropism package ({@code EngineHasNoSpringTest} enforces both); the service orchestrates it.
 *
 * <p><b>What the service uses</b> (the engine's public API in practice):
 * <ul>
 *   <li>this package: {@link dev.tropism.engine.Engine} opens {@link dev.tropism.engine.TrainingRun}s from a
 *       {@link dev.tropism.engine.RunSpec} and {@link dev.tropism.engine.RunOptions};
 *       {@link dev.tropism.engine.RewardFunction} (with {@code RewardBatch} and {@code RewardResult}) is how the
 *       service plugs graders in; {@link dev.tropism.engine.MetricNames} holds every metric name; the exceptions
 *       ({@code ConfigException}, {@code NumericalInstabilityException}, {@code NonFiniteValueException});</li>
 *   <li>in the sub-packages, the config and spec records the service builds from a job ({@code lm.GptConfig},
 *       {@code lm.PretrainConfig}/{@code PretrainSpec}, {@code rl.GrpoConfig}/{@code GrpoSpec},
 *       {@code rm.RewardModelConfig}/{@code RewardModelSpec}/{@code PreferencePair}, {@code flow.FlowNetConfig},
 *       {@code flow.FlowPretrainConfig}/{@code FlowPretrainSpec}, {@code flowrl.FlowRlConfig}/{@code FlowAlignSpec}/
 *       {@code FlowMethodType}, {@code align.LmMethodType}/{@code LmMethodConfig}/{@code LmAlignSpec} (and each
 *       method's {@code Config} record), {@code flow.SteeringConfig}, {@code lm.DryRunConfig}); the loaded models it serves or
 *       scores with ({@code lm.LanguageModel}, {@code lm.ChatFormat}, {@code rm.RewardModel},
 *       {@code flow.FlowModel}, {@code flow.ImageClassifier}, {@code flow.FkSteering}, {@code flow.Noise},
 *       {@code flow.Png}); the generation server ({@code serve.Generator} and its request, result and listener
 *       types); dry-run sampling ({@code lm.LmDryRun}); {@code rl.GroupAdvantages.fracZeroStd};
 *       {@code data.ArithmeticTask}; {@code rm.PairwiseMetrics} (the evaluations' pairwise
 *       accuracy and ECE); and {@code nn.CheckpointFiles.MODEL_DIR}, where a checkpoint keeps its model.</li>
 * </ul>
 * Everything else is internal: the networks and their layers ({@code lm.Gpt}, {@code flow.FlowNet}), the runs
 * (opened only through {@code Engine}), samplers, the methods' objectives and the shared training blocks of
 * {@code nn}. Some of those types are public because another engine package uses them; no test stops the
 * service from using them, so keep to the list above.
 *
 * <p>Packages: {@code lm} the autoregressive family (its models behind {@code lm.CausalLm}), {@code hf} imported
 * HuggingFace causal LMs (gpt2, llama, qwen2: safetensors reading and writing, {@code config.json}, the families'
 * forwards), {@code rl} GRPO, {@code align} the further language-model methods (one run per method on the shared
 * {@code AlignedPolicy}, {@code CompletionBatch} and {@code LmRun}), {@code rm} reward models,
 * {@code flow} the flow-matching family (network, sampler, pretraining, classifiers, steering), {@code flowrl} its
 * alignment loop and seven methods, {@code serve} continuous-batching generation,
 * {@code nn} shared training blocks (AdamW, schedules, gradient checks, checkpoint files), {@code data} generated
 * tasks.
 */
package dev.tropism.engine;
