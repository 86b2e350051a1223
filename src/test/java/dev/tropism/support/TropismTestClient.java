package dev.tropism.support;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls the running application over HTTP in tests. Never throws for an error status: every call
 * returns an {@link ApiResponse} to assert on.
 *
 * <pre>
 * &#64;Autowired TropismTestClient api;
 * TropismTestClient.Team acme = api.newTeam("acme");
 * ApiResponse r = acme.calls().post("/v1/reward-specs", Map.of("name", "x", "grader", grader));
 * assertThat(r.status()).isEqualTo(201);
 * assertThat(r.json().get("id").asString()).startsWith("rs_");
 * </pre>
 */
public class TropismTestClient {

    public static final String ADMIN_KEY = "test-admin-key";
    static final JsonMapper JSON = JsonMapper.builder().build();

    /** A team created through the admin API, with one API key. */
    public record Team(String id, String keyId, String key, Calls calls) {
    }

    /** An HTTP answer: status, headers and body bytes. */
    public record ApiResponse(int status, HttpHeaders headers, byte[] body) {

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The body parsed as JSON (names exactly as sent, i.e. snake_case). */
        public JsonNode json() {
            return JSON.readTree(body);
        }

        public MediaType contentType() {
            return headers.getContentType();
        }

        @Override
        public String toString() {
            return status + " " + text();
        }
    }

    private final Environment environment;

    TropismTestClient(Environment environment) {
        this.environment = environment;
    }

    /** A client of another application context (one a test started itself). */
    public static TropismTestClient of(Environment environment) {
        return new TropismTestClient(environment);
    }

    public int port() {
        return Integer.parseInt(environment.getRequiredProperty("local.server.port"));
    }

    public String baseUrl() {
        return "http://localhost:" + port();
    }

    /** Calls without an Authorization header. */
    public Calls anonymous() {
        return new Calls(this, Map.of());
    }

    /** Calls with {@code Authorization: Bearer <key>}. */
    public Calls as(String key) {
        return new Calls(this, Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + key));
    }

    /** Calls with the admin key and no team. */
    public Calls admin() {
        return as(ADMIN_KEY);
    }

    /** Calls with the admin key acting for {@code teamId} (header {@code X-Tropism-Team}). */
    public Calls adminFor(String teamId) {
        return admin().withHeader("X-Tropism-Team", teamId);
    }

    /** Creates a team and an API key for it through the admin API. */
    public Team newTeam(String name) {
        ApiResponse team = admin().post("/v1/teams", Map.of("name", name));
        if (team.status() != 201) {
            throw new IllegalStateException("Creating a team failed: " + team);
        }
        String teamId = team.json().get("id").asString();
        ApiResponse key = admin().post("/v1/teams/" + teamId + "/api-keys", Map.of("name", name + "-key"));
        if (key.status() != 201) {
            throw new IllegalStateException("Creating an API key failed: " + key);
        }
        String secret = key.json().get("key").asString();
        return new Team(teamId, key.json().get("id").asString(), secret, as(secret));
    }

    /** A set of default headers to call with. */
    public static final class Calls {

        private final TropismTestClient client;
        private final Map<String, String> headers;

        Calls(TropismTestClient client, Map<String, String> headers) {
            this.client = client;
            this.headers = headers;
        }

        public Calls withHeader(String name, String value) {
            Map<String, String> copy = new LinkedHashMap<>(headers);
            copy.put(name, value);
            return new Calls(client, copy);
        }

        public ApiResponse get(String path) {
            return exchange(HttpMethod.GET, path, null, null);
        }

        public ApiResponse delete(String path) {
            return exchange(HttpMethod.DELETE, path, null, null);
        }

        /** POSTs {@code body} as JSON: a String is sent verbatim, anything else is serialized. */
        public ApiResponse post(String path, Object body) {
            return exchange(HttpMethod.POST, path, MediaType.APPLICATION_JSON, json(body));
        }

        /** POSTs a multipart form with one file part named {@code file} plus text fields. */
        public ApiResponse upload(String path, String filename, byte[] content, Map<String, String> fields) {
            MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
            fields.forEach(form::add);
            if (content != null) {
                form.add("file", new ByteArrayResource(content) {
                    @Override
                    public String getFilename() {
                        return filename;
                    }
                });
            }
            return exchange(HttpMethod.POST, path, MediaType.MULTIPART_FORM_DATA, form);
        }

        /** Any request; {@code body} may be null, a String, bytes, or a multipart form. */
        public ApiResponse exchange(HttpMethod method, String path, MediaType contentType, Object body) {
            RestClient rest = RestClient.builder()
                    .requestFactory(new SimpleClientHttpRequestFactory())
                    .baseUrl(client.baseUrl())
                    .build();
            RestClient.RequestBodySpec spec = rest.method(method).uri(path);
            headers.forEach(spec::header);
            if (contentType != null) {
                spec.contentType(contentType);
            }
            if (body != null) {
                spec.body(body);
            }
            return spec.exchange((req, res) -> new ApiResponse(res.getStatusCode().value(), res.getHeaders(),
                    res.getBody().readAllBytes()), true);
        }

        private static Object json(Object body) {
            if (body == null || body instanceof String || body instanceof byte[]) {
                return body;
            }
            return JSON.writeValueAsString(body);
        }
    }
}
