package dev.tropism.teams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every endpoint has a scope (issue 17): walks the OpenAPI document and, for each operation under {@code /v1},
 * checks that a key holding every team scope but the required one answers 403 {@code missing_scope} naming it, and
 * that a key holding only the required one gets past authorization (whatever the dummy ids and empty body then
 * answer, but neither 401 nor 403).
 */
@TropismIntegrationTest
class ScopeCoverageTest {

    private static final Pattern PATH_VARIABLE = Pattern.compile("\\{[^}]+}");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    TropismTestClient api;

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    record Operation(HttpMethod method, String path, String scope, String contentType) {

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    @Test
    void everyOperationRefusesAKeyWithoutItsScopeAndAdmitsAKeyWithIt() {
        List<Operation> operations = operations(api.anonymous().get("/v3/api-docs").json());
        assertThat(operations).as("the walk covers the API").hasSizeGreaterThan(50);
        Map<String, String> scopeOf = new LinkedHashMap<>();
        operations.forEach(op -> scopeOf.put(op.toString(), op.scope()));
        assertThat(scopeOf).containsEntry("POST /v1/jobs", "jobs:write").containsEntry("GET /v1/jobs/{id}", "jobs:read")
                .containsEntry("GET /v1/workers", "operator").containsEntry("POST /v1/chat/completions", "inference")
                .containsEntry("POST /v1/evaluations", "evaluations:write")
                .containsEntry("DELETE /v1/teams/{teamId}/api-keys/{keyId}", "team:admin")
                .containsEntry("GET /v1/me", "authenticated");
        List<String> undeclared = operations.stream().filter(op -> op.scope() == null).map(Operation::toString).toList();
        assertThat(undeclared).as("operations without x-required-scope").isEmpty();
        // Reading never needs a :write scope, and nothing but a GET makes do with a :read one.
        List<String> misfit = operations.stream().filter(op -> op.method() == HttpMethod.GET
                ? op.scope().endsWith(":write") : op.scope().endsWith(":read")).map(op -> op + " " + op.scope()).toList();
        assertThat(misfit).isEmpty();

        TropismTestClient.Team team = api.newTeam("scope-walk");
        Map<Scope, String> without = new EnumMap<>(Scope.class);
        Map<Scope, String> only = new EnumMap<>(Scope.class);
        for (Scope s : Scope.TEAM_SCOPES) {
            Set<Scope> lacking = EnumSet.noneOf(Scope.class);
            Scope.TEAM_SCOPES.stream().filter(t -> !s.grantedBy(EnumSet.of(t))).forEach(lacking::add);
            without.put(s, key(team.id(), lacking));
            only.put(s, key(team.id(), EnumSet.of(s)));
        }
        String everyTeamScope = key(team.id(), Scope.TEAM_SCOPES);

        List<String> failures = new ArrayList<>();
        for (Operation op : operations) {
            Scope scope = Scope.ofWire(op.scope()).orElseThrow();
            if (scope == Scope.OPERATOR) {
                refused(op, everyTeamScope, scope, failures);
                admitted(op, TropismTestClient.ADMIN_KEY, failures);
            } else if (scope == Scope.AUTHENTICATED) {
                admitted(op, only.get(Scope.USAGE_READ), failures);
            } else {
                refused(op, without.get(scope), scope, failures);
                admitted(op, only.get(scope), failures);
            }
        }
        assertThat(failures).isEmpty();
    }

    /** The OpenAPI document may merge handlers (JSON and multipart, JSON and SSE): each one must declare a scope. */
    @Test
    void everyV1HandlerMethodDeclaresAScope() {
        List<String> undeclared = new ArrayList<>();
        int v1 = 0;
        for (Map.Entry<RequestMappingInfo, HandlerMethod> e : mappings.getHandlerMethods().entrySet()) {
            if (e.getKey().getPatternValues().stream().anyMatch(p -> p.startsWith("/v1/") || p.equals("/v1"))) {
                v1++;
                if (ScopeCheck.required(e.getValue()).isEmpty()) {
                    undeclared.add(e.getKey() + " " + e.getValue());
                }
            }
        }
        assertThat(v1).isGreaterThan(50);
        assertThat(undeclared).isEmpty();
    }

    /** A new key of {@code teamId} holding {@code scopes}: its secret. */
    String key(String teamId, Set<Scope> scopes) {
        ApiResponse r = api.admin().post("/v1/teams/" + teamId + "/api-keys",
                Map.of("name", "walk " + Scope.format(scopes).hashCode(), "scopes", Scope.wires(scopes)));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("key").asString();
    }

    void refused(Operation op, String key, Scope scope, List<String> failures) {
        Answer r = call(op, key);
        String quoted = "'" + scope.wire() + "'";
        boolean ok;
        if (r.status() != 403) {
            ok = false;
        } else if (r.json().has("error")) {
            // the OpenAI-compatible routes: {"error": {"type", "code", "message"}}
            JsonNode error = r.json().get("error");
            ok = error.get("code").asString().equals("missing_scope") && error.get("message").asString().contains(quoted);
        } else {
            JsonNode p = r.json();
            ok = p.get("code").asString().equals("missing_scope") && p.has("scope")
                    && p.get("scope").asString().equals(scope.wire()) && p.get("detail").asString().contains(quoted);
        }
        if (!ok) {
            failures.add(op + " without " + scope.wire() + ": expected 403 missing_scope naming it, got " + r);
        }
    }

    void admitted(Operation op, String key, List<String> failures) {
        Answer r = call(op, key);
        if (r.status() == 401 || r.status() == 403 || r.status() >= 500) {
            failures.add(op + " with only " + op.scope() + ": expected neither 401/403 nor 5xx, got " + r);
        }
    }

    record Answer(int status, String body) {

        JsonNode json() {
            return JSON.readTree(body);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /**
     * Calls {@code op} with dummy ids for its path variables and {@code {}} (or a multipart form with one field) as its
     * body; java.net.http, since the test client's HttpURLConnection cannot send PATCH.
     */
    Answer call(Operation op, String key) {
        String path = PATH_VARIABLE.matcher(op.path()).replaceAll("x0");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key);
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
        if (op.contentType() != null && op.contentType().startsWith(MediaType.MULTIPART_FORM_DATA_VALUE)) {
            String boundary = "scope-walk";
            b.header("Content-Type", "multipart/form-data; boundary=" + boundary);
            body = HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; "
                    + "name=\"name\"\r\n\r\nwalk\r\n--" + boundary + "--\r\n");
        } else if (op.contentType() != null) {
            b.header("Content-Type", op.contentType());
            body = HttpRequest.BodyPublishers.ofString("{}");
        }
        try {
            HttpResponse<String> r = HTTP.send(b.method(op.method().name(), body).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(op.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static List<Operation> operations(JsonNode doc) {
        List<Operation> out = new ArrayList<>();
        doc.get("paths").properties().forEach(path -> {
            if (!path.getKey().startsWith("/v1/")) {
                return;
            }
            path.getValue().properties().forEach(method -> {
                JsonNode op = method.getValue();
                if (!op.isObject() || !op.has("responses")) {
                    return; // "parameters" shared by the path's operations
                }
                String contentType = op.has("requestBody")
                        ? op.get("requestBody").get("content").propertyNames().iterator().next() : null;
                String scope = op.has(ScopeOpenApi.EXTENSION) ? op.get(ScopeOpenApi.EXTENSION).asString() : null;
                out.add(new Operation(HttpMethod.valueOf(method.getKey().toUpperCase()), path.getKey(), scope,
                        contentType));
            });
        });
        return out;
    }
}
