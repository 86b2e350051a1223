package dev.tropism.models;

import dev.tropism.teams.Caller;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/models}: pretrained and aligned models of the caller's team. */
@RestController
@RequestMapping("/v1/models")
public class ModelController {

    private final ModelStore models;
    private final ModelService service;
    private final ModelClasses classes;

    ModelController(ModelStore models, ModelService service, ModelClasses classes) {
        this.models = models;
        this.service = service;
        this.classes = classes;
    }

    @GetMapping
    public ListResponse<ModelView> list(Caller caller, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after) {
        PageParams page = PageParams.of(limit, after);
        return page.toResponse(models.list(caller.requireTeam(), page), this::view);
    }

    @GetMapping("/{id}")
    public ModelView get(Caller caller, @PathVariable String id) {
        return view(models.get(caller.requireTeam(), id));
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public ModelView create(Caller caller, @RequestBody CreateModelRequest request) {
        return view(service.create(caller, request));
    }

    private ModelView view(ModelRecord m) {
        return ModelView.of(m, classes.of(m));
    }
}
