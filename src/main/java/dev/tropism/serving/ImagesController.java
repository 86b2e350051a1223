package dev.tropism.serving;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * {@code POST /v1/images/generations}, OpenAI's image endpoint, for flow-matching models: the request is
 * validated in full ({@link ImageRequests}), the model resolved among the caller's (404 otherwise; language
 * and reward models answer 400 on {@code model}) and the images generated off the request thread
 * ({@link ImageService}). Errors use OpenAI's shape ({@link OpenAiErrors}).
 */
@RestController
@RequiresScope(Scope.INFERENCE)
class ImagesController extends OpenAiErrors {

    /** Beyond the request timeout, time to render the answer. */
    private static final long SLACK_MILLIS = 30_000;

    private final OpenAiRequests requests;
    private final ImageService images;
    private final ServingProperties properties;

    ImagesController(OpenAiRequests requests, ImageService images, ServingProperties properties) {
        this.requests = requests;
        this.images = images;
        this.properties = properties;
    }

    @PostMapping("/v1/images/generations")
    DeferredResult<Object> generate(Caller caller, HttpServletRequest request) {
        caller.requireTeam();
        ImageRequests.ImageParams p = ImageRequests.parse(requests.read(request), properties.maxN());
        DeferredResult<Object> result = new DeferredResult<>(properties.requestTimeout().toMillis() + SLACK_MILLIS);
        images.generate(caller, p).whenComplete((body, e) -> {
            if (e != null) {
                result.setErrorResult(e);
            } else {
                result.setResult(body);
            }
        });
        return result;
    }
}
