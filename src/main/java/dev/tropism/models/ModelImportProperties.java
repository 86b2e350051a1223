package dev.tropism.models;

import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code tropism.models.*}: importing HuggingFace models.
 *
 * @param maxUploadSize largest archive {@code POST /v1/models} accepts as an upload (also the servlet's multipart
 *     limit; dataset uploads keep their own, smaller {@code tropism.datasets.max-upload-size})
 * @param maxUnpackedSize most bytes an archive may unpack to (guards against decompression bombs)
 * @param importRoots directories under which an admin may import a model already on the node
 *     ({@code "source": "path"}); empty disables path imports
 */
@ConfigurationProperties("tropism.models")
public record ModelImportProperties(
        @DefaultValue("4GB") DataSize maxUploadSize,
        @DefaultValue("16GB") DataSize maxUnpackedSize,
        @DefaultValue List<Path> importRoots) {

    public ModelImportProperties {
        importRoots = importRoots == null ? List.of() : List.copyOf(importRoots);
        if (maxUploadSize.toBytes() < 1 || maxUnpackedSize.toBytes() < 1) {
            throw new IllegalArgumentException("tropism.models.max-upload-size and max-unpacked-size must be positive");
        }
    }
}
