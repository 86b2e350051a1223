package dev.tropism.engine.serve;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.KvCache;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Tokenizer;
import dev.tropism.engine.nn.Gradients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous batching text generation for one loaded {@link LanguageModel} (iteration-level
 * scheduling, Yu et al. 2022, "Orca", OSDI; the same scheme as vLLM's and TGI's routers): one decoding
 * thread runs all of the model's requests together, one forward pass per step for every running
 * sequence, and requests join and leave the running batch between steps.
 *
 * <p>Each step: (1) requests that were cancelled or ran past their timeout leave; (2) waiting requests
 * are admitted up to {@link GeneratorConfig#maxBatch()} and their prompts prefilled together in one
 * forward (left-padded), which also gives each its first token; (3) one decode forward over every
 * running sequence, with the row's last token, its own position (pads excluded) and a key mask that
 * hides other rows' padding; (4) every row samples with its own parameters and its own seeded
 * {@link java.util.Random}, streams its text, and finished rows leave. A character-level {@code tiny-gpt}'s rows
 * pick in Java from copied logits (its streams as they always were); other models' rows (imported ones, a tiny-gpt
 * on GPT-2's BPE; see {@link LanguageModel#drawsOnDevice}) pick on the device
 * ({@link DevicePicker}: temperature, top-p and the draw on NDArrays, the sampler's {@code TokenDraw}),
 * so only the chosen ids, not 32k–150k logits per row, are copied each step. Rows keep their keys and values
 * in a {@link BatchCache} between steps.
 *
 * <p>Determinism: a row's logits depend only on its own tokens (padding is masked with an additive
 * −1e9, whose softmax weight is exactly 0), and its sampler draws once per token from its own seed, so
 * the same seed gives the same completion alone or batched. Float reductions over different batch
 * shapes may differ in the last bits, which can flip a token only when two choices are within that
 * rounding of each other (see the tests for how often that was observed).
 *
 * <p>Thread safety: {@link #submit}, {@link GenerationHandle#cancel()}, {@link #stats()} and
 * {@link #close()} may be called from any thread. The generator does not own the model: close the
 * generator first, then the model.
 */
public final class Generator implements AutoCloseable {

    private static final AtomicLong THREADS = new AtomicLong();
    /** How long an idle decoding thread waits on the queue before it re-checks for shutdown. */
    private static final long IDLE_POLL_MILLIS = 50;

    private final LanguageModel model;
    private final GeneratorConfig config;
    private final BlockingQueue<Sequence> queue = new LinkedBlockingQueue<>(); // bounded in submit
    private final NDManager manager = NDManager.newBaseManager();
    private final BatchCache cache = new BatchCache(manager);
    private final Thread thread;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();
    private volatile int running;
    private volatile double meanServiceNanos = 1e9; // moving average of admit-to-finish time
    private volatile boolean closed;
    private final List<Sequence> active = new ArrayList<>(); // decoding thread only; row r = cache row r
    private final DevicePicker picker; // tokens chosen on the device (see LanguageModel.drawsOnDevice); null: in Java

    public Generator(LanguageModel model, GeneratorConfig config) {
        this.model = model;
        this.config = config;
        this.picker = model.drawsOnDevice() ? new DevicePicker(model) : null;
        this.thread = new Thread(this::loop, "generator-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a request and returns at once.
     *
     * @throws dev.tropism.engine.ConfigException (field {@code prompt}) when BOS + the prompt leaves no
     *     room for a new token in the model's context
     * @throws QueueFullException when all slots are busy and {@link GeneratorConfig#queueCapacity()}
     *     requests already wait
     * @throws IllegalStateException after {@link #close()}
     */
    public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
        int blockSize = model.lm().contextLength();
        int[] text = model.tokenizer().encode(request.prompt());
        int[] prompt = model.tokenizer().start(text); // BOS + the prompt, when the model has a BOS
        int most = blockSize - 1 - (prompt.length - text.length);
        require(prompt.length + 1 <= blockSize, "prompt", "has " + text.length + " tokens; this model's context is "
                + blockSize + " tokens including " + (prompt.length > text.length ? "BOS and " : "")
                + "at least one new token, so at most " + most);
        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong();
        GenerationHandle handle = new GenerationHandle(ids.incrementAndGet(), this);
        Sequence seq = new Sequence(request, listener == null ? GenerationListener.NONE : listener, handle, prompt, seed,
                blockSize);
        synchronized (queue) {
            if (closed) {
                throw new IllegalStateException("the generator is closed");
            }
            // Free slots take requests without limit; beyond them at most queueCapacity may wait.
            if (queue.size() >= config.queueCapacity() + Math.max(0, config.maxBatch() - running)) {
                throw new QueueFullException(config.queueCapacity(), retryAfter());
            }
            queue.add(seq);
        }
        return handle;
    }

    /** What the generator is doing, for metrics and for the service's Retry-After. */
    public record Stats(int running, int queued, long completed, long generatedTokens, long steps,
            Duration retryAfter) {
    }

    public Stats stats() {
        return new Stats(running, queue.size(), completed.get(), generatedTokens.get(), steps.get(), retryAfter());
    }

    public GeneratorConfig config() {
        return config;
    }

    /** Native arrays held by the generator (the batch cache); 0 when idle. For leak checks. */
    int liveArrays() {
        return manager.getManagedArrays().size();
    }

    /**
     * Estimated wait for a free queue place: the waiting requests drain {@code maxBatch} at a time, each
     * wave taking about the mean request time. Whole seconds, at least 1.
     */
    private Duration retryAfter() {
        double waves = Math.ceil((queue.size() + 1) / (double) config.maxBatch());
        return Duration.ofSeconds(Math.max(1, (long) Math.ceil(waves * meanServiceNanos / 1e9)));
    }

    void cancelQueued(GenerationHandle handle) {
        for (Sequence s : queue) {
            if (s.handle == handle && queue.remove(s)) {
                complete(s, FinishReason.CANCELLED, null);
                return;
            }
        }
    }

    /**
     * Stops the decoding thread after its current step; running and waiting requests end with
     * {@link FinishReason#ERROR} ("the generator was closed"), and the cache's native memory is freed.
     */
    @Override
    public void close() {
        synchronized (queue) {
            closed = true;
        }
        if (Thread.currentThread() != thread) {
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        drainQueue(FinishReason.ERROR, "the generator was closed");
    }

    private void loop() {
        Gradients.gradModeOff(); // per thread: sampling must not record autograd graphs
        try {
            while (!closed) {
                List<Sequence> joining = admit();
                if (joining.isEmpty() && active.isEmpty()) {
                    continue;
                }
                try {
                    step(joining);
                } catch (RuntimeException | Error e) { // NOPMD: a failed step must end its requests, not the thread
                    String why = "generation step failed: " + e;
                    for (Sequence s : joining) {
                        if (!s.handle.isDone()) {
                            complete(s, FinishReason.ERROR, why);
                        }
                    }
                    retireAll(FinishReason.ERROR, why);
                }
            }
        } finally {
            retireAll(FinishReason.ERROR, "the generator was closed");
            drainQueue(FinishReason.ERROR, "the generator was closed");
            cache.close();
            manager.close();
            if (picker != null) {
                picker.close();
            }
        }
    }

    /** Ends expired or cancelled waiting requests, then takes waiting ones into free batch slots. */
    private List<Sequence> admit() {
        long now = System.nanoTime();
        for (Sequence s : queue) {
            FinishReason r = s.interruption(now);
            if (r != null && queue.remove(s)) {
                complete(s, r, null);
            }
        }
        List<Sequence> joining = new ArrayList<>();
        try {
            if (active.isEmpty()) {
                Sequence first = queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (first != null) {
                    joining.add(first);
                }
            }
        } catch (InterruptedException e) {
            return joining; // close() wakes the idle thread; the loop re-checks closed
        }
        while (active.size() + joining.size() < config.maxBatch()) {
            Sequence s = queue.poll();
            if (s == null) {
                break;
            }
            joining.add(s);
        }
        running = active.size() + joining.size();
        return joining;
    }

    /** One iteration: retire interrupted rows, prefill the joining ones, decode every row once. */
    private void step(List<Sequence> joining) {
        steps.incrementAndGet();
        try (NDManager step = manager.newSubManager()) {
            long now = System.nanoTime();
            boolean[] leave = new boolean[active.size()];
            for (int r = 0; r < active.size(); r++) {
                FinishReason why = active.get(r).interruption(now);
                if (why != null) {
                    complete(active.get(r), why, null);
                    leave[r] = true;
                }
            }
            retire(leave, step);
            if (!joining.isEmpty()) {
                prefill(joining, step);
            }
            if (!active.isEmpty()) {
                decode(step);
            }
        }
        running = active.size();
    }

    /** Forward over the joining prompts (left-padded), first token of each; survivors join the batch. */
    private void prefill(List<Sequence> joining, NDManager step) {
        int batch = joining.size();
        int width = 0;
        for (Sequence s : joining) {
            width = Math.max(width, s.prompt.length);
        }
        int[] tokens = new int[batch * width]; // (Bn, P), row-major, left-padded
        int[] positions = new int[batch * width];
        float[] mask = new float[batch * width];
        for (int b = 0; b < batch; b++) {
            int[] p = joining.get(b).prompt;
            int pad = width - p.length;
            for (int t = pad; t < width; t++) {
                tokens[b * width + t] = p[t - pad];
                positions[b * width + t] = t - pad;
                mask[b * width + t] = 1f;
            }
        }
        CausalLm gpt = model.lm();
        KvCache prefix = gpt.newCache();
        long t0 = System.nanoTime();
        NDArray logits = gpt.forward(step.create(tokens, new Shape(batch, width)),
                step.create(positions, new Shape(batch, width)), step.create(mask, new Shape(batch, width)), prefix); // (Bn, P, V)
        NDArray lastLogits = logits.get(new NDIndex(":, -1, :")); // (Bn, V)
        Choices choices = choose(lastLogits, joining);
        List<Integer> stay = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            Sequence s = joining.get(b);
            s.started = t0;
            s.cached = s.prompt.length;
            FinishReason why = choices.accept(s, b);
            if (why == null) {
                stay.add(b);
            } else {
                complete(s, why, null);
            }
        }
        if (stay.isEmpty()) {
            return;
        }
        int[] rows = stay.stream().mapToInt(Integer::intValue).toArray();
        int trim = width;
        for (int r : rows) {
            trim = Math.min(trim, width - joining.get(r).prompt.length);
        }
        BatchCache joined = new BatchCache(step);
        joined.join(prefix, step);
        joined.retain(rows, trim, step);
        cache.join(joined.kv(), step);
        for (int r : rows) {
            active.add(joining.get(r));
        }
    }

    /** One token for every running row. */
    private void decode(NDManager step) {
        int batch = active.size();
        int width = cache.width();
        int[] tokens = new int[batch]; // (B, 1)
        int[] positions = new int[batch];
        float[] mask = new float[batch * (width + 1)]; // (B, W + 1): cached columns, then the new one
        for (int r = 0; r < batch; r++) {
            Sequence s = active.get(r);
            tokens[r] = s.pending;
            positions[r] = s.cached;
            for (int c = width - s.cached; c <= width; c++) {
                mask[r * (width + 1) + c] = 1f;
            }
        }
        CausalLm gpt = model.lm();
        cache.lend(step);
        NDArray logits = gpt.forward(step.create(tokens, new Shape(batch, 1)), step.create(positions, new Shape(batch, 1)),
                step.create(mask, new Shape(batch, width + 1)), cache.kv()); // (B, 1, V)
        cache.keep();
        Choices choices = choose(logits.reshape(batch, gpt.vocabSize()), active); // (B, V)
        boolean[] leave = new boolean[batch];
        for (int r = 0; r < batch; r++) {
            Sequence s = active.get(r);
            s.cached++;
            FinishReason why = choices.accept(s, r);
            if (why != null) {
                complete(s, why, null);
                leave[r] = true;
            }
        }
        retire(leave, step);
    }

    /**
     * The next tokens of {@code rows}, whose last logits are {@code logits} (B, V): a character tiny-gpt copies them
     * to Java and each row picks there (its streams as they always were); other models pick on the device and copy
     * the chosen ids only.
     */
    private Choices choose(NDArray logits, List<Sequence> rows) {
        if (picker == null) {
            return new Choices(logits.toFloatArray(), model.lm().vocabSize(), null, model.tokenizer());
        }
        return new Choices(null, 0, picker.pick(logits, rows), model.tokenizer());
    }

    /** One step's choices: a row's logits in Java (character tiny-gpt), or what the device picked (other models). */
    private record Choices(float[] logits, int vocab, DevicePicker.Picks picks, Tokenizer tok) {

        FinishReason accept(Sequence s, int row) {
            return picks == null ? s.accept(logits, row * vocab, vocab, tok)
                    : s.accept(picks.ids()[row], picks.logprobs()[row], tok);
        }
    }

    /** Removes the rows marked in {@code leave} from the batch and its cache. */
    private void retire(boolean[] leave, NDManager step) {
        List<Sequence> kept = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < leave.length; r++) {
            if (!leave[r]) {
                kept.add(active.get(r));
                rows.add(r);
            }
        }
        if (kept.size() == active.size()) {
            return;
        }
        int width = cache.width();
        int trim = width;
        for (Sequence s : kept) {
            trim = Math.min(trim, width - s.cached); // columns that are padding in every kept row
        }
        cache.retain(rows.stream().mapToInt(Integer::intValue).toArray(), kept.isEmpty() ? 0 : trim, step);
        active.clear();
        active.addAll(kept);
    }

    private void retireAll(FinishReason reason, String error) {
        for (Sequence s : active) {
            complete(s, reason, error);
        }
        active.clear();
        cache.clear();
        running = 0;
    }

    private void drainQueue(FinishReason reason, String error) {
        for (Sequence s = queue.poll(); s != null; s = queue.poll()) {
            complete(s, reason, error);
        }
    }

    /** Finishes a request exactly once; never throws. */
    private void complete(Sequence s, FinishReason reason, String error) {
        if (s.handle.isDone()) {
            return;
        }
        GenerationResult result;
        try {
            result = s.finish(reason, error);
        } catch (RuntimeException e) { // NOPMD: the caller must get a result whatever happened
            result = new GenerationResult("", FinishReason.ERROR, s.prompt.length, s.generated, List.of(), s.seed,
                    String.valueOf(e), 0, -1, System.nanoTime() - s.submitted);
        }
        if (s.started >= 0) {
            meanServiceNanos = 0.9 * meanServiceNanos + 0.1 * (System.nanoTime() - s.started);
        }
        completed.incrementAndGet();
        generatedTokens.addAndGet(s.generated);
        s.handle.result().complete(result);
    }
}
