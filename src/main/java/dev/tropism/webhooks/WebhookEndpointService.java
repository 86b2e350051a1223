package dev.tropism.webhooks;

import dev.tropism.rewards.OutboundHosts;
import dev.tropism.rewards.SecretSealer;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.JsonPointers;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import dev.tropism.web.Violation;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

/**
 * A team's webhook endpoints: validation, secrets (generated or given, shown once, stored encrypted, rotated with a
 * grace period), and the delivery log with redelivery.
 */
@Service
class WebhookEndpointService {

    static final int MAX_URL = 2048;
    static final int MAX_DESCRIPTION = 500;
    private static final Set<String> CREATE_FIELDS = Set.of("url", "events", "secret", "description");
    private static final Set<String> PATCH_FIELDS = Set.of("url", "events", "enabled", "description");
    private static final Set<String> ROTATE_FIELDS = Set.of("secret");

    private final WebhookEndpointStore endpoints;
    private final WebhookDeliveryStore deliveries;
    private final OutboundHosts hosts;
    private final SecretSealer sealer;
    private final WebhookDeliveryProperties properties;
    private final WebhookDispatcher dispatcher;

    WebhookEndpointService(WebhookEndpointStore endpoints, WebhookDeliveryStore deliveries, OutboundHosts hosts,
            SecretSealer sealer, WebhookDeliveryProperties properties, WebhookDispatcher dispatcher) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.hosts = hosts;
        this.sealer = sealer;
        this.properties = properties;
        this.dispatcher = dispatcher;
    }

    /** {@code POST /v1/webhook-endpoints}: the new endpoint, with its secret shown this once. */
    WebhookEndpointView create(Caller caller, JsonNode body) {
        String teamId = caller.requireTeam();
        requireObject(body, CREATE_FIELDS);
        List<Violation> violations = new ArrayList<>();
        String url = url(body.get("url"), violations);
        List<String> events = events(body.get("events"), violations);
        String description = description(body.get("description"), violations);
        String secret = secret(body.get("secret"), violations);
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        String plain = secret != null ? secret : WebhookSignatures.generate();
        Instant now = Timestamps.now();
        WebhookEndpoint e = new WebhookEndpoint(0, Ids.newId("whep_"), teamId, url, events, description, true,
                sealer.encrypt(plain), null, null, now, now);
        endpoints.insert(e);
        return WebhookEndpointView.of(endpoints.get(teamId, e.id()), plain);
    }

    ListResponse<WebhookEndpointView> list(Caller caller, PageParams page) {
        return page.toResponse(endpoints.list(caller.requireTeam(), page), e -> WebhookEndpointView.of(e, null));
    }

    WebhookEndpointView get(Caller caller, String id) {
        return WebhookEndpointView.of(endpoints.get(caller.requireTeam(), id), null);
    }

    /** {@code PATCH}: any of {@code url}, {@code events}, {@code enabled}, {@code description}. */
    @Transactional
    WebhookEndpointView update(Caller caller, String id, JsonNode body) {
        String teamId = caller.requireTeam();
        WebhookEndpoint e = endpoints.getForUpdate(teamId, id);
        requireObject(body, PATCH_FIELDS);
        List<Violation> violations = new ArrayList<>();
        String url = body.has("url") ? url(body.get("url"), violations) : e.url();
        List<String> events = body.has("events") ? events(body.get("events"), violations) : e.events();
        String description = body.has("description") ? description(body.get("description"), violations) : e.description();
        boolean enabled = e.enabled();
        if (body.has("enabled")) {
            JsonNode v = body.get("enabled");
            if (v.isBoolean()) {
                enabled = v.asBoolean();
            } else {
                violations.add(new Violation("/enabled", "must be true or false"));
            }
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        endpoints.update(new WebhookEndpoint(e.seq(), e.id(), teamId, url, events, description, enabled, e.secret(),
                e.previousSecret(), e.previousSecretUntil(), e.createdAt(), Timestamps.now()));
        return WebhookEndpointView.of(endpoints.get(teamId, id), null);
    }

    /** {@code DELETE}: the endpoint, its queued deliveries and its log go; an attempt in flight still ends. */
    void delete(Caller caller, String id) {
        endpoints.get(caller.requireTeam(), id);
        endpoints.delete(id);
    }

    /**
     * {@code POST …/rotate-secret}: a new secret (given as {@code secret}, or generated), shown this once. The old one
     * keeps signing beside it for {@code tropism.webhooks.delivery.secret-grace}; a secret still in its grace from an
     * earlier rotation stops signing now.
     */
    @Transactional
    WebhookEndpointView rotate(Caller caller, String id, JsonNode body) {
        String teamId = caller.requireTeam();
        endpoints.get(teamId, id);
        String secret = null;
        if (body != null && !body.isNull()) {
            requireObject(body, ROTATE_FIELDS);
            List<Violation> violations = new ArrayList<>();
            secret = secret(body.get("secret"), violations);
            if (!violations.isEmpty()) {
                throw ApiException.invalid(violations);
            }
        }
        String plain = secret != null ? secret : WebhookSignatures.generate();
        Instant now = Timestamps.now();
        endpoints.rotate(id, sealer.encrypt(plain), now.plus(properties.secretGrace()), now);
        return WebhookEndpointView.of(endpoints.get(teamId, id), plain);
    }

    /** {@code GET …/deliveries}: the endpoint's delivery log, oldest first, optionally of one {@code status}. */
    ListResponse<WebhookDeliveryView> deliveries(Caller caller, String id, String status, PageParams page) {
        endpoints.get(caller.requireTeam(), id);
        WebhookDelivery.Status s = null;
        if (status != null && !status.isBlank()) {
            try {
                s = WebhookDelivery.Status.of(status.trim());
            } catch (IllegalArgumentException e) {
                throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", "status must be pending, delivered"
                        + " or failed, got '" + status + "'.", List.of(new Violation("/status",
                        "must be pending, delivered or failed")));
            }
        }
        List<WebhookDelivery> rows = deliveries.list(id, s, page);
        Map<String, List<WebhookDelivery.Attempt>> log = deliveries.attempts(rows.stream().map(WebhookDelivery::id)
                .toList());
        return page.toResponse(rows, d -> WebhookDeliveryView.of(d, log.getOrDefault(d.id(), List.of())));
    }

    /**
     * {@code POST …/deliveries/{delivery}/redeliver}: an attempt now, whatever the delivery's status. 409
     * {@code delivery_in_flight} while an attempt of it is being made.
     */
    WebhookDeliveryView redeliver(Caller caller, String id, String deliveryId) {
        endpoints.get(caller.requireTeam(), id);
        deliveries.get(id, deliveryId);
        if (!deliveries.redeliver(deliveryId, Timestamps.now())) {
            throw ApiException.conflict("delivery_in_flight", "An attempt of delivery " + deliveryId
                    + " is being made right now; see its log when it ends.");
        }
        dispatcher.wake();
        WebhookDelivery d = deliveries.get(id, deliveryId);
        return WebhookDeliveryView.of(d, deliveries.attempts(List.of(deliveryId)).getOrDefault(deliveryId, List.of()));
    }

    /** A JSON object with only known fields: 422 for another type, 400 {@code unknown_field} for an unknown one. */
    private static void requireObject(JsonNode body, Set<String> known) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("", "the body must be a JSON object");
        }
        for (String name : body.propertyNames()) {
            if (!known.contains(name)) {
                String pointer = JsonPointers.child("", name);
                throw new ApiException(HttpStatus.BAD_REQUEST, "unknown_field", "Unknown field '" + name + "' at "
                        + pointer + ".", List.of(new Violation(pointer, "unknown field; known: "
                        + String.join(", ", known.stream().sorted().toList()))));
            }
        }
    }

    /**
     * An absolute http(s) URL whose host is on {@code tropism.webhooks.allowed-hosts}, without user info or a
     * fragment; null (with a violation) otherwise.
     */
    private String url(JsonNode v, List<Violation> violations) {
        if (v == null || v.isNull()) {
            violations.add(new Violation("/url", "is required: the receiver's absolute http:// or https:// URL"));
            return null;
        }
        if (!v.isString()) {
            violations.add(new Violation("/url", "must be a string"));
            return null;
        }
        String text = v.asString().trim();
        if (text.length() > MAX_URL) {
            violations.add(new Violation("/url", "must be at most " + MAX_URL + " characters"));
            return null;
        }
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            violations.add(new Violation("/url", "is not a valid URL: " + e.getReason()));
            return null;
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            violations.add(new Violation("/url", "must be an absolute http:// or https:// URL"));
        } else if (url.getHost() == null) {
            violations.add(new Violation("/url", "must name a host"));
        } else if (url.getRawUserInfo() != null) {
            violations.add(new Violation("/url", "must not carry user info (user:password@): receivers authenticate"
                    + " deliveries by their signature"));
        } else if (url.getRawFragment() != null) {
            violations.add(new Violation("/url", "must not have a #fragment"));
        } else if (!hosts.allows(url.getHost())) {
            violations.add(new Violation("/url", "host '" + url.getHost() + "' is not on this server's webhook"
                    + " allow-list (tropism.webhooks.allowed-hosts); ask the operator to add it"));
        } else {
            return text;
        }
        return null;
    }

    /** A non-empty list of distinct event types, or {@code ["*"]} alone; null (with violations) otherwise. */
    private static List<String> events(JsonNode v, List<Violation> violations) {
        String known = "one of " + String.join(", ", WebhookEventType.wires()) + ", or \"*\" alone for all";
        if (v == null || v.isNull()) {
            violations.add(new Violation("/events", "is required: a non-empty list of event types, each " + known));
            return null;
        }
        if (!v.isArray() || v.isEmpty()) {
            violations.add(new Violation("/events", "must be a non-empty list of event types, each " + known));
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        int before = violations.size();
        for (int i = 0; i < v.size(); i++) {
            JsonNode t = v.get(i);
            String pointer = "/events/" + i;
            if (!t.isString()) {
                violations.add(new Violation(pointer, "must be a string: " + known));
            } else if (t.asString().equals(WebhookEventType.ALL)) {
                if (v.size() > 1) {
                    violations.add(new Violation(pointer, "\"*\" subscribes to every event and must stand alone"));
                }
                out.add(WebhookEventType.ALL);
            } else if (WebhookEventType.of(t.asString()).isEmpty()) {
                violations.add(new Violation(pointer, "unknown event type '" + t.asString() + "': " + known));
            } else if (!out.add(WebhookEventType.of(t.asString()).get().wire())) {
                violations.add(new Violation(pointer, "'" + t.asString() + "' is listed twice"));
            }
        }
        return violations.size() > before ? null : List.copyOf(out);
    }

    private static String description(JsonNode v, List<Violation> violations) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            violations.add(new Violation("/description", "must be a string"));
            return null;
        }
        if (v.asString().length() > MAX_DESCRIPTION) {
            violations.add(new Violation("/description", "must be at most " + MAX_DESCRIPTION + " characters"));
            return null;
        }
        return v.asString();
    }

    /** An optional {@code whsec_} secret; never echoed in a violation. */
    private static String secret(JsonNode v, List<Violation> violations) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            violations.add(new Violation("/secret", "must be a string"));
            return null;
        }
        String problem = WebhookSignatures.problem(v.asString());
        if (problem != null) {
            violations.add(new Violation("/secret", problem));
            return null;
        }
        return v.asString();
    }
}
