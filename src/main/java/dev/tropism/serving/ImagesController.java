package dev.tropism.serving;

import dev.tropism.catalog.RewardSpecCatalog;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.models.ModelRecord;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/images/generations}, OpenAI's image endpoint, for flow-matching models. The request is
 * validated in full ({@link ImageRequests}), the model resolved among the caller's (404 otherwise) and
 * its steering reward spec too; language and reward models answer 400 on {@code model}. Flow-matching
 * models cannot be trained or sampled yet (the flow family is a later issue), so a flow model answers
 * 501 until then.
 */
@RestController
class ImagesController extends OpenAiErrors {

    private final OpenAiRequests requests;
    private final ServedModels served;
    private final RewardSpecCatalog specs;
    private final ServingProperties properties;

    ImagesController(OpenAiRequests requests, ServedModels served, RewardSpecCatalog specs,
            ServingProperties properties) {
        this.requests = requests;
        this.served = served;
        this.specs = specs;
        this.properties = properties;
    }

    @PostMapping("/v1/images/generations")
    Object generate(Caller caller, HttpServletRequest request) {
        String team = caller.requireTeam();
        ImageRequests.ImageParams p = ImageRequests.parse(requests.read(request), properties.maxN());
        ModelRecord m = served.find(team, p.model());
        if (!PolicyFamily.FLOW_MATCHING.wireName().equals(m.family())) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "model",
                    "model_not_supported", "The model '" + p.model() + "' is a " + m.family() + ", not an image model;"
                    + " this endpoint serves " + PolicyFamily.FLOW_MATCHING.wireName() + " models only.", null);
        }
        if (p.steering() != null) {
            try {
                specs.get(caller, p.steering().rewardSpec());
            } catch (ApiException e) {
                throw new OpenAiException(HttpStatus.NOT_FOUND, OpenAiException.INVALID_REQUEST,
                        "steering.reward_spec", "reward_spec_not_found", "The reward spec '"
                        + p.steering().rewardSpec() + "' does not exist or you do not have access to it.", null);
            }
        }
        throw new OpenAiException(HttpStatus.NOT_IMPLEMENTED, "server_error", "model", "not_implemented",
                "Sampling flow-matching models is not available yet.", null);
    }
}
