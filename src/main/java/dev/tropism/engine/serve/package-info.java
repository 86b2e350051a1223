/**
 * Serving: continuous-batching text generation for the {@code tiny-gpt} language models.
 *
 * <p>The service keeps one {@link dev.tropism.engine.serve.Generator} per loaded model and calls:
 *
 * <pre>{@code
 * Generator g = new Generator(model, new GeneratorConfig(32, 64));      // one decoding thread
 * GenerationRequest req = GenerationRequest.builder(prompt)             // ConfigException(field) -> 422
 *         .maxTokens(64).temperature(0.7).topP(0.9).stop(List.of("\n")).seed(1L).logprobs(2)
 *         .timeout(Duration.ofSeconds(30)).build();
 * GenerationHandle h = g.submit(req, delta -> sse.send(delta.text()));  // QueueFullException -> 429
 * h.result().thenAcceptAsync(r -> ...);   // text, finish_reason, usage, logprobs; never exceptional
 * h.cancel();                              // on client disconnect
 * g.close();                               // before closing the model
 * }</pre>
 *
 * <p>No Spring here: the package is a plain library (an ArchUnit test enforces it).
 */
package dev.tropism.engine.serve;
