package dev.tropism.serving;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * OpenAI-compatible text generation: {@code POST /v1/completions} and {@code POST /v1/chat/completions},
 * whole JSON or server-sent events ({@code "stream": true}). Errors use OpenAI's shape ({@link OpenAiErrors}).
 */
@RestController
@RequiresScope(Scope.INFERENCE)
class CompletionsController extends OpenAiErrors {

    /** Beyond the request timeout, time to render the answer. */
    private static final long SLACK_MILLIS = 30_000;

    private final OpenAiRequests requests;
    private final CompletionService completions;
    private final CompletionStream streams;
    private final ServingProperties properties;

    CompletionsController(OpenAiRequests requests, CompletionService completions, CompletionStream streams,
            ServingProperties properties) {
        this.requests = requests;
        this.completions = completions;
        this.streams = streams;
        this.properties = properties;
    }

    @PostMapping("/v1/completions")
    DeferredResult<Object> completions(Caller caller, HttpServletRequest request) {
        return respond(caller, requests.completion(requests.read(request)));
    }

    @PostMapping("/v1/chat/completions")
    DeferredResult<Object> chat(Caller caller, HttpServletRequest request) {
        return respond(caller, requests.chat(requests.read(request)));
    }

    /**
     * Both kinds of answer go through one {@link DeferredResult}, so that the handler picked for its value
     * (JSON, or the event stream's emitter) follows {@code stream} at run time.
     */
    private DeferredResult<Object> respond(Caller caller, CompletionParams params) {
        String team = caller.requireTeam();
        DeferredResult<Object> result = new DeferredResult<>(properties.requestTimeout().toMillis() + SLACK_MILLIS);
        if (params.stream()) {
            result.setResult(streams.stream(team, params));
        } else {
            completions.complete(team, params).whenComplete((body, e) -> {
                if (e != null) {
                    result.setErrorResult(e);
                } else {
                    result.setResult(body);
                }
            });
        }
        return result;
    }
}
