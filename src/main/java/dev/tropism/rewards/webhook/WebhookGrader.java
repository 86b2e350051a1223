package dev.tropism.rewards.webhook;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.web.JsonPointers;
import io.github.resilience4j.retry.Retry;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code webhook}: bring-your-own reward code. Samples are POSTed to the team's own scorer service and
 * its scores are the rewards, so no team code ever runs inside Tropism (the pattern of OpenAI's
 * "bring your own grader" endpoints and of remote reward models in RL frameworks such as OpenRLHF's
 * {@code --remote_rm_url}).
 *
 * <h2>Wire contract</h2>
 * The samples of a batch are sent in requests of at most {@code batch_size} consecutive samples, at most
 * {@code max_concurrency} requests in flight at once. Each request is
 * <pre>
 * POST &lt;url&gt;
 * Content-Type: application/json
 * Authorization: Bearer &lt;secret&gt;          (when a secret is set; or &lt;secret_header&gt;: &lt;secret&gt;)
 * &lt;headers…&gt;
 *
 * {"items":   [ {…dataset line…}, … ],                 one per group present in this request
 *  "samples": [ {"output_text": "…", "group": 0}, … ]} group: index into this request's items
 * </pre>
 * Samples answering the same item (GRPO's G completions of one prompt) share an item; a {@code batch_size}
 * that is a multiple of G keeps groups whole within a request. The scorer answers 2xx with
 * <pre>
 * {"scores": [number | null, …],     exactly one per sample, in order
 *  "errors": [string | null, …]}     optional, same length: why a sample could not be scored
 * </pre>
 * A number is the sample's score ({@code NaN}/{@code Infinity} are accepted on the wire and reported as
 * {@code non_finite}). {@code null}, or a non-null {@code errors[i]}, adds a {@code scorer_error} error;
 * a null score scores {@link PerSampleGrader#FALLBACK 0.0}.
 *
 * <h2>Failures</h2>
 * Grading never throws and never blocks longer than {@code timeout_ms} in all: it waits for the requests
 * up to that deadline, cancels what is still in flight, and every sample without a score gets the
 * fallback 0.0 and one error: {@code timeout} (no answer before the deadline), {@code http_status} (a
 * non-2xx answer; the message has the status), {@code connection}, {@code malformed_response} (not JSON,
 * not {@code {"scores":[…]}}, the wrong number of scores, or a score that is neither a number nor null),
 * {@code circuit_open} (the URL's breaker is open, nothing was sent), {@code host_not_allowed} (the host
 * left the allow-list after the spec was created) or {@code scorer_error}. Retries and the breaker are
 * {@link WebhookTransport}'s. The secret never appears in errors: a scorer's text that echoes it is masked.
 */
public final class WebhookGrader implements Grader {

    static final String TYPE = "webhook";
    static final String SECRET = "secret";

    static final String TIMEOUT = "timeout";
    static final String HTTP_STATUS = "http_status";
    static final String CONNECTION = "connection";
    static final String MALFORMED = "malformed_response";
    static final String CIRCUIT_OPEN = "circuit_open";
    static final String HOST_NOT_ALLOWED = "host_not_allowed";
    static final String SCORER_ERROR = "scorer_error";

    /** Scorer-written error text kept per sample. */
    private static final int MAX_SCORER_MESSAGE = 300;
    /** Scores NaN/Infinity as Python's json.dumps writes them, so that they are reported as non_finite. */
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private final String name;
    private final WebhookTransport transport;
    private final WebhookTransport.Target target;
    private final Retry retry;
    private final int timeoutMs;
    private final int batchSize;
    private final int maxConcurrency;
    /** Masked out of every error message; null without a secret. */
    private final String secret;

    private WebhookGrader(String name, WebhookTransport transport, WebhookTransport.Target target, int timeoutMs,
            int batchSize, int maxConcurrency, int maxRetries, String secret) {
        this.name = name;
        this.transport = transport;
        this.target = target;
        this.retry = WebhookTransport.retry(name, maxRetries);
        this.timeoutMs = timeoutMs;
        this.batchSize = batchSize;
        this.maxConcurrency = maxConcurrency;
        this.secret = secret;
    }

    @Override
    public String name() {
        return name;
    }

    /** One request's JSON body and its number of samples. */
    private record Request(byte[] body, int size) {
    }

    /** A 2xx answer that has the right shape; its entries are checked one by one when applied. */
    private record Reply(JsonNode scores, JsonNode errors) {
    }

    /** What is known of each request: null (no answer yet), a {@link Reply} or a {@link WebhookTransport.Failure}. */
    private static final class Calls {
        final AtomicReferenceArray<Object> outcome;
        final AtomicInteger next = new AtomicInteger();
        final AtomicBoolean stopped = new AtomicBoolean();
        final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();

        Calls(int requests) {
            outcome = new AtomicReferenceArray<>(requests);
        }
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int n = batch.size();
        double[] scores = new double[n];
        if (n == 0) {
            return scores;
        }
        int requests = (n + batchSize - 1) / batchSize;
        Request[] bodies = new Request[requests]; // built here: the batch is confined to this thread
        for (int r = 0; r < requests; r++) {
            int from = r * batchSize;
            int to = Math.min(n, from + batchSize);
            bodies[r] = new Request(requestBody(batch, from, to), to - from);
        }
        Calls calls = new Calls(requests);
        CompletableFuture<?>[] lanes = new CompletableFuture<?>[Math.min(maxConcurrency, requests)];
        for (int l = 0; l < lanes.length; l++) {
            lanes[l] = lane(bodies, calls, deadline);
        }
        try {
            CompletableFuture.allOf(lanes).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // what has not answered by now is a timeout
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        calls.stopped.set(true);
        calls.inFlight.forEach(f -> f.cancel(true));
        for (int r = 0; r < requests; r++) {
            int from = r * batchSize;
            int to = Math.min(n, from + batchSize);
            Object o = calls.outcome.get(r);
            if (o instanceof Reply reply) {
                apply(reply, from, to, scores, out);
            } else {
                String message = o instanceof WebhookTransport.Failure f ? f.getMessage()
                        : "no answer within timeout_ms=" + timeoutMs;
                String kind = o instanceof WebhookTransport.Failure f ? f.kind() : TIMEOUT;
                for (int i = from; i < to; i++) {
                    out.error(i, kind, name + ": " + mask(message));
                }
            }
        }
        return out.record(name, scores);
    }

    /** Sends the requests not yet taken, one after another, until none is left or the deadline passed. */
    private CompletableFuture<Void> lane(Request[] requests, Calls calls, long deadline) {
        int r = calls.next.getAndIncrement();
        if (r >= requests.length || calls.stopped.get() || System.nanoTime() >= deadline) {
            return CompletableFuture.completedFuture(null);
        }
        int size = requests[r].size();
        return transport.post(target, requests[r].body(), retry, deadline, (body, d) -> parse(body, size, d),
                        calls.inFlight::add)
                .handle((reply, error) -> {
                    calls.outcome.set(r, error == null ? reply : WebhookTransport.failureOf(error, deadline));
                    return null;
                })
                // async: a call that fails at once must not grow this thread's stack by one lane step per request
                .thenComposeAsync(ignored -> lane(requests, calls, deadline), transport.executor());
    }

    private byte[] requestBody(GradingBatch batch, int from, int to) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode items = root.putArray("items");
        ArrayNode samples = root.putArray("samples");
        int lastGroup = -1;
        for (int i = from; i < to; i++) {
            if (batch.group(i) != lastGroup) {
                lastGroup = batch.group(i);
                items.add(JSON.valueToTree(batch.sample(i).item()));
            }
            samples.addObject().put("output_text", batch.sample(i).outputText()).put("group", items.size() - 1);
        }
        return JSON.writeValueAsBytes(root);
    }

    private static Reply parse(byte[] body, int size, long deadline) throws WebhookTransport.Failure {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw malformed("answer is not JSON: " + e.getOriginalMessage(), deadline);
        }
        if (root == null || !root.isObject()) {
            throw malformed("answer must be a JSON object {\"scores\": [...]}", deadline);
        }
        JsonNode scores = root.get("scores");
        if (scores == null || !scores.isArray()) {
            throw malformed("answer has no \"scores\" array", deadline);
        }
        if (scores.size() != size) {
            throw malformed("answer has " + scores.size() + " scores for " + size + " samples", deadline);
        }
        JsonNode errors = root.get("errors");
        if (errors != null && !errors.isNull() && (!errors.isArray() || errors.size() != scores.size())) {
            throw malformed("\"errors\" must be an array with one string or null per sample", deadline);
        }
        return new Reply(scores, errors == null || errors.isNull() ? null : errors);
    }

    private static WebhookTransport.Failure malformed(String message, long deadline) {
        return new WebhookTransport.Failure(MALFORMED, message, false, true, deadline);
    }

    private void apply(Reply reply, int from, int to, double[] scores, Outcomes out) {
        for (int i = from; i < to; i++) {
            JsonNode s = reply.scores().get(i - from);
            JsonNode e = reply.errors() == null ? null : reply.errors().get(i - from);
            double v = PerSampleGrader.FALLBACK;
            if (s.isNumber()) {
                v = out.finite(i, name, s.asDouble(), PerSampleGrader.FALLBACK);
            } else if (!s.isNull()) {
                out.error(i, MALFORMED, name + ": score " + (i - from) + " is " + s.getNodeType().name().toLowerCase(Locale.ROOT)
                        + ", not a number or null");
            } else if (e == null || !e.isString()) {
                out.error(i, SCORER_ERROR, name + ": the scorer gave no score");
            }
            if (e != null && e.isString()) {
                String text = e.asString();
                out.error(i, SCORER_ERROR, name + ": " + mask(text.length() > MAX_SCORER_MESSAGE
                        ? text.substring(0, MAX_SCORER_MESSAGE) + "…" : text));
            } else if (e != null && !e.isNull()) {
                out.error(i, MALFORMED, name + ": errors[" + (i - from) + "] is neither a string nor null");
            }
            scores[i] = v;
        }
    }

    /** {@code text} with the secret masked, in case a scorer echoes request headers. */
    private String mask(String text) {
        return secret == null || text == null ? text : text.replace(secret, WebhookSecrets.REDACTED);
    }

    /**
     * Compiles {@code {"type":"webhook", …}}: see the field table in the README. Needs the shared
     * {@link WebhookTransport}, hence a Spring bean rather than an entry of {@link GraderCompiler#standard()}.
     */
    @Component
    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "url", "timeout_ms", "attempt_timeout_ms",
                "batch_size", "max_concurrency", "max_retries", "headers", SECRET, "secret_header");
        /** RFC 9110 §5.1 field names are tokens. */
        private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
        /** Visible ASCII and spaces: no CR/LF (header injection) or other controls. */
        private static final Pattern HEADER_VALUE = Pattern.compile("[\\x20-\\x7E]{1,1024}");
        private static final Pattern SECRET_VALUE = Pattern.compile("[\\x21-\\x7E]{1,4096}");
        /** Headers Tropism or the JDK client sets itself. */
        private static final Set<String> RESERVED = Set.of("content-type", "accept", "content-length", "connection",
                "expect", "host", "upgrade", "transfer-encoding", "te", "trailer");
        /** Headers that carry credentials: those belong in the encrypted secret. */
        private static final Set<String> CREDENTIALS = Set.of("authorization", "proxy-authorization", "cookie");
        /** Header names that look like credentials (X-Api-Key, X-Auth-Token, …): plain headers are stored and shown. */
        private static final java.util.regex.Pattern CREDENTIAL_LIKE = java.util.regex.Pattern.compile(
                ".*(api[-_]?key|token|secret|password|passwd|credential|session).*");
        private static final int MAX_HEADERS = 32;
        private static final int MAX_URL = 2048;
        static final String DEFAULT_SECRET_HEADER = "Authorization";

        private final WebhookTransport transport;

        public Type(WebhookTransport transport) {
            this.transport = transport;
        }

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            URI url = url(node, pointer, ctx);
            // timeout_ms bounds a whole batch; 10 s keeps a slow scorer from stalling a GRPO step for long.
            Integer timeoutMs = integer(node, "timeout_ms", pointer, 10_000, 10, 300_000, ctx);
            Integer attemptMs = integer(node, "attempt_timeout_ms", pointer, timeoutMs == null ? 10_000 : timeoutMs, 10,
                    timeoutMs == null ? 300_000 : timeoutMs, ctx);
            // 64 = GRPO's default 8 prompts × 8 generations: whole groups per request.
            Integer batchSize = integer(node, "batch_size", pointer, 64, 1, 1024, ctx);
            Integer maxConcurrency = integer(node, "max_concurrency", pointer, 4, 1, 32, ctx);
            Integer maxRetries = integer(node, "max_retries", pointer, 2, 0, 10, ctx);
            String secret = secret(node, pointer, ctx);
            String secretHeader = secretHeader(node, pointer, secret != null, ctx);
            Map<String, String> headers = headers(node, pointer, secretHeader, ctx);
            if (name == null || url == null || timeoutMs == null || attemptMs == null || batchSize == null
                    || maxConcurrency == null || maxRetries == null || headers == null || secretHeader == null) {
                return null;
            }
            if (secret != null) {
                headers.put(secretHeader, secretHeader.equalsIgnoreCase(DEFAULT_SECRET_HEADER) ? "Bearer " + secret : secret);
            }
            return new WebhookGrader(name, transport, new WebhookTransport.Target(url, headers, attemptMs, ctx.teamId()),
                    timeoutMs,
                    batchSize, maxConcurrency, maxRetries, secret);
        }

        private URI url(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            String text = ctx.string(node, "url", pointer);
            String p = JsonPointers.child(pointer, "url");
            if (text == null) {
                return null;
            }
            if (text.length() > MAX_URL) {
                ctx.violation(p, "must be at most " + MAX_URL + " characters");
                return null;
            }
            URI url;
            try {
                url = new URI(text.trim());
            } catch (URISyntaxException e) {
                ctx.violation(p, "is not a valid URL: " + e.getReason());
                return null;
            }
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                ctx.violation(p, "must be an absolute http:// or https:// URL");
                return null;
            }
            if (url.getRawUserInfo() != null) {
                ctx.violation(p, "must not carry user info (user:password@); give credentials as secret, which is stored encrypted");
                return null;
            }
            if (url.getHost() == null) {
                ctx.violation(p, "must name a host");
                return null;
            }
            if (url.getRawFragment() != null) {
                ctx.violation(p, "must not have a #fragment");
                return null;
            }
            // A stored spec keeps compiling when its host left the allow-list: calls answer host_not_allowed.
            if (!ctx.stored() && !transport.allows(url.getHost())) {
                ctx.violation(p, "host '" + url.getHost() + "' is not on this server's webhook allow-list "
                        + "(tropism.webhooks.allowed-hosts); ask the operator to add it");
                return null;
            }
            return url;
        }

        /** An optional integer field in [min, max], {@code dflt} when absent; null (with a violation) when bad. */
        private static Integer integer(JsonNode node, String field, String pointer, int dflt, int min, int max,
                GraderCompiler.Context ctx) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return dflt;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
                ctx.violation(JsonPointers.child(pointer, field), "must be an integer from " + min + " to " + max);
                return null;
            }
            return v.asInt();
        }

        /** The optional secret; its value is never echoed in a violation. */
        private static String secret(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            JsonNode v = node.get(SECRET);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isString() || !SECRET_VALUE.matcher(v.asString()).matches()) {
                ctx.violation(JsonPointers.child(pointer, SECRET), "must be a string of 1 to 4096 visible ASCII characters");
                return null;
            }
            return v.asString();
        }

        private static String secretHeader(JsonNode node, String pointer, boolean hasSecret, GraderCompiler.Context ctx) {
            JsonNode v = node.get("secret_header");
            if (v == null || v.isNull()) {
                return DEFAULT_SECRET_HEADER;
            }
            String p = JsonPointers.child(pointer, "secret_header");
            if (!v.isString() || !TOKEN.matcher(v.asString()).matches()) {
                ctx.violation(p, "must be an HTTP header name");
                return null;
            }
            if (RESERVED.contains(v.asString().toLowerCase(Locale.ROOT))) {
                ctx.violation(p, "'" + v.asString() + "' is set by Tropism or the HTTP client");
                return null;
            }
            if (!hasSecret) {
                ctx.violation(p, "is only meaningful with a secret");
                return null;
            }
            return v.asString();
        }

        /** The optional non-secret headers (a mutable copy), or null with violations. */
        private static Map<String, String> headers(JsonNode node, String pointer, String secretHeader,
                GraderCompiler.Context ctx) {
            JsonNode h = node.get("headers");
            String hp = JsonPointers.child(pointer, "headers");
            Map<String, String> out = new LinkedHashMap<>();
            if (h == null || h.isNull()) {
                return out;
            }
            if (!h.isObject()) {
                ctx.violation(hp, "must be an object of header names to string values");
                return null;
            }
            if (h.size() > MAX_HEADERS) {
                ctx.violation(hp, "must have at most " + MAX_HEADERS + " headers");
                return null;
            }
            boolean ok = true;
            for (String key : h.propertyNames()) {
                String p = JsonPointers.child(hp, key);
                String lower = key.toLowerCase(Locale.ROOT);
                JsonNode v = h.get(key);
                String problem = null;
                if (!TOKEN.matcher(key).matches()) {
                    problem = "is not a valid HTTP header name";
                } else if (RESERVED.contains(lower)) {
                    problem = "is set by Tropism or the HTTP client and cannot be given";
                } else if (CREDENTIALS.contains(lower) || CREDENTIAL_LIKE.matcher(lower).matches()
                        || (secretHeader != null && lower.equalsIgnoreCase(secretHeader))) {
                    problem = "carries credentials: give them as secret (stored encrypted, never shown) instead";
                } else if (!v.isString() || !HEADER_VALUE.matcher(v.asString()).matches()) {
                    problem = "must be a string of 1 to 1024 printable ASCII characters";
                }
                if (problem != null) {
                    ctx.violation(p, problem);
                    ok = false;
                } else {
                    out.put(key, v.asString());
                }
            }
            return ok ? out : null;
        }
    }
}
