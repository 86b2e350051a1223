package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.rewards.RewardAliases;
import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import java.io.IOException;
import java.util.List;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/** {@code /v1/models}: pretrained and aligned models of the caller's team. */
@RestController
@RequestMapping("/v1/models")
public class ModelController {

    private static final MediaType TAR = MediaType.parseMediaType("application/x-tar");

    private final ModelStore models;
    private final ModelService service;
    private final ModelImportService imports;
    private final ModelExportService exports;
    private final ModelClasses classes;
    private final RewardAliases aliases;

    ModelController(ModelStore models, ModelService service, ModelImportService imports, ModelExportService exports,
            ModelClasses classes, RewardAliases aliases) {
        this.aliases = aliases;
        this.models = models;
        this.service = service;
        this.imports = imports;
        this.exports = exports;
        this.classes = classes;
    }

    @GetMapping
    @RequiresScope(Scope.MODELS_READ)
    public ListResponse<ModelView> list(Caller caller, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after) {
        PageParams page = PageParams.of(limit, after);
        return page.toResponse(models.list(caller.requireTeam(), page), this::view);
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.MODELS_READ)
    public ModelView get(Caller caller, @PathVariable String id) {
        return view(models.get(caller.requireTeam(), id));
    }

    /** Pretrains a model of a recipe (201), or imports one from a path on the node ({@code source: "path"}, 202). */
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @RequiresScope(Scope.MODELS_WRITE)
    public ResponseEntity<ModelView> create(Caller caller, @RequestBody CreateModelRequest request) throws IOException {
        if (request.source() != null) {
            return ResponseEntity.accepted().body(view(service.importModel(caller, request)));
        }
        return ResponseEntity.status(HttpStatus.CREATED).body(view(service.create(caller, request)));
    }

    /**
     * Imports an uploaded HuggingFace model archive (part {@code file}: .tar, .tar.gz or .zip; field {@code name}).
     * 202: the model is {@code importing} until its files are in object storage.
     */
    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.ACCEPTED)
    @RequiresScope(Scope.MODELS_WRITE)
    public ModelView upload(@Parameter(hidden = true) Caller caller,
            @RequestPart(value = "file", required = false) MultipartFile file,
            @RequestParam(value = "name", required = false) String name) throws IOException {
        return view(imports.importUpload(caller, name, file));
    }

    /**
     * What happened to an imported model's import, oldest first: {@code checked}, {@code copied} (one per file),
     * then {@code ready} or {@code failed}. 404 for a model that was not imported.
     */
    @GetMapping("/{id}/import/events")
    @RequiresScope(Scope.MODELS_READ)
    public ListResponse<ModelImports.ImportEvent> importEvents(Caller caller, @PathVariable String id) {
        ModelRecord m = models.get(caller.requireTeam(), id);
        if (!ModelImportService.RECIPE.equals(m.recipe())) {
            throw new ApiException(HttpStatus.NOT_FOUND, "not_found", "Model " + id + " was not imported; only imported"
                    + " models have import events.");
        }
        return ListResponse.of(imports.events(m.id()), false);
    }

    /**
     * The model as a tar of a HuggingFace directory ({@code format=hf}, the default), streamed. 409 while it is not
     * ready; 422 for a model stored in Tropism's own format.
     */
    @GetMapping("/{id}/export")
    @RequiresScope(Scope.MODELS_READ)
    public ResponseEntity<StreamingResponseBody> export(Caller caller, @PathVariable String id,
            @RequestParam(required = false) String format) throws IOException {
        ModelExportService.Export export = exports.plan(models.get(caller.requireTeam(), id), format);
        StreamingResponseBody body = out -> exports.write(export, out);
        return ResponseEntity.ok().contentType(TAR)
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(export.filename())
                        .build().toString())
                .body(body);
    }

    private ModelView view(ModelRecord m) {
        return ModelView.of(m, classes.of(m), ModelImportService.RECIPE.equals(m.recipe()) ? imports.view(m.id()) : null,
                m.family() == PolicyFamily.REWARD_MODEL ? aliases.aliasesOf(m.teamId(), m.id()) : List.of());
    }
}
