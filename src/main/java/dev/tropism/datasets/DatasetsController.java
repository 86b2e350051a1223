package dev.tropism.datasets;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import java.io.IOException;
import java.io.InputStream;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.InputStreamResource;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.DeleteMapping;
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

@RestController
@RequestMapping("/v1/datasets")
class DatasetsController {

    static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");

    private final DatasetService datasets;
    private final DataSize maxUploadSize;

    DatasetsController(DatasetService datasets,
            @Value("${tropism.datasets.max-upload-size:50MB}") DataSize maxUploadSize) {
        this.datasets = datasets;
        this.maxUploadSize = maxUploadSize;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.DATASETS_WRITE)
    DatasetService.DatasetView upload(@Parameter(hidden = true) Caller caller, @RequestPart("file") MultipartFile file,
            @RequestParam("purpose") String purpose, @RequestParam(value = "name", required = false) String name)
            throws IOException {
        if (file.getSize() > maxUploadSize.toBytes()) { // the servlet's limit is the larger one of model uploads
            throw new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "payload_too_large", "The upload exceeds the maximum"
                    + " dataset size of " + maxUploadSize.toBytes() + " bytes (tropism.datasets.max-upload-size).");
        }
        DatasetPurpose p = DatasetService.parsePurpose(purpose);
        String n = name != null && !name.isBlank() ? name.trim() : defaultName(file.getOriginalFilename());
        try (InputStream in = file.getInputStream()) {
            return datasets.upload(caller, n, p, in);
        }
    }

    private static String defaultName(String filename) {
        if (filename == null || filename.isBlank()) {
            return "dataset";
        }
        String base = filename.substring(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
        return base.length() > 200 ? base.substring(0, 200) : base;
    }

    @PostMapping(path = "/generate", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.DATASETS_WRITE)
    ListResponse<DatasetService.DatasetView> generate(@Parameter(hidden = true) Caller caller,
            @RequestBody DatasetService.GenerateRequest body) {
        return datasets.generate(caller, body);
    }

    @GetMapping
    @RequiresScope(Scope.DATASETS_READ)
    ListResponse<DatasetService.DatasetView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return datasets.list(caller, PageParams.of(limit, after));
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.DATASETS_READ)
    DatasetService.DatasetView get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return datasets.view(caller, id);
    }

    @GetMapping("/{id}/content")
    @RequiresScope(Scope.DATASETS_READ)
    ResponseEntity<Resource> content(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        DatasetService.Content c = datasets.content(caller, id);
        return ResponseEntity.ok().contentType(NDJSON).contentLength(c.size()).body(new InputStreamResource(c.stream()));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @RequiresScope(Scope.DATASETS_WRITE)
    void delete(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        datasets.delete(caller, id);
    }
}
