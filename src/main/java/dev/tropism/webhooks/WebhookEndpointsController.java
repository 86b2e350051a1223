package dev.tropism.webhooks;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** {@code /v1/webhook-endpoints}: a team's receivers of signed event deliveries, and their delivery logs. */
@RestController
@RequestMapping("/v1/webhook-endpoints")
class WebhookEndpointsController {

    private final WebhookEndpointService service;

    WebhookEndpointsController(WebhookEndpointService service) {
        this.service = service;
    }

    /** {@code {"url", "events", "secret"?, "description"?}} → 201 with the secret, shown only this once. */
    @PostMapping
    @RequiresScope(Scope.WEBHOOKS_WRITE)
    ResponseEntity<WebhookEndpointView> create(@Parameter(hidden = true) Caller caller, @RequestBody JsonNode body) {
        WebhookEndpointView view = service.create(caller, body);
        return ResponseEntity.created(URI.create("/v1/webhook-endpoints/" + view.id())).body(view);
    }

    @GetMapping
    @RequiresScope(Scope.WEBHOOKS_READ)
    ListResponse<WebhookEndpointView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return service.list(caller, PageParams.of(limit, after));
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.WEBHOOKS_READ)
    WebhookEndpointView get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return service.get(caller, id);
    }

    /** Any of {@code url}, {@code events}, {@code enabled}, {@code description}. */
    @PatchMapping("/{id}")
    @RequiresScope(Scope.WEBHOOKS_WRITE)
    WebhookEndpointView update(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestBody JsonNode body) {
        return service.update(caller, id, body);
    }

    @DeleteMapping("/{id}")
    @RequiresScope(Scope.WEBHOOKS_WRITE)
    ResponseEntity<Void> delete(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        service.delete(caller, id);
        return ResponseEntity.noContent().build();
    }

    /** Optional {@code {"secret"}}; the new secret is shown only this once. */
    @PostMapping("/{id}/rotate-secret")
    @RequiresScope(Scope.WEBHOOKS_WRITE)
    WebhookEndpointView rotateSecret(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestBody(required = false) JsonNode body) {
        return service.rotate(caller, id, body);
    }

    @GetMapping("/{id}/deliveries")
    @RequiresScope(Scope.WEBHOOKS_READ)
    ListResponse<WebhookDeliveryView> deliveries(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestParam(required = false) String status, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after) {
        return service.deliveries(caller, id, status, PageParams.of(limit, after));
    }

    /** An attempt now, even of a delivered or failed delivery → 202 with the delivery. */
    @PostMapping("/{id}/deliveries/{delivery}/redeliver")
    @RequiresScope(Scope.WEBHOOKS_WRITE)
    ResponseEntity<WebhookDeliveryView> redeliver(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @PathVariable String delivery) {
        return ResponseEntity.accepted().body(service.redeliver(caller, id, delivery));
    }
}
