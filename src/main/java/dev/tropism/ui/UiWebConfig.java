package dev.tropism.ui;

import java.io.IOException;
import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.resource.PathResourceResolver;

/**
 * Serves the web UI (built from {@code frontend/} into {@code classpath:/static/}) at {@code /}. The UI
 * routes on the client ({@code /jobs/job_…}), so a reload of such a path must answer {@code index.html}:
 * any GET that is not a file, not under an API prefix and has no file extension falls back to it. API
 * paths keep their own 404s; the UI itself needs no key (it only calls {@code /v1/**}, which does).
 */
@Configuration
class UiWebConfig implements WebMvcConfigurer {

    /** Paths that belong to the API, the actuator or the API docs, never to the UI. */
    static final List<String> NOT_UI = List.of("v1/", "actuator", "v3/", "swagger-ui", "error");

    @Override
    public void addResourceHandlers(ResourceHandlerRegistry registry) {
        // Hashed assets never change under their name; index.html must be revalidated to see a new build.
        registry.addResourceHandler("/assets/**").addResourceLocations("classpath:/static/assets/")
                .setCacheControl(CacheControl.maxAge(java.time.Duration.ofDays(365)).cachePublic());
        registry.addResourceHandler("/**").addResourceLocations("classpath:/static/")
                .setCacheControl(CacheControl.noCache())
                .resourceChain(true)
                .addResolver(new SpaResolver());
    }

    /** The requested file when it exists, else {@code index.html} for client-side routes. */
    static final class SpaResolver extends PathResourceResolver {

        @Override
        protected Resource getResource(String path, Resource location) throws IOException {
            Resource file = location.createRelative(path);
            if (!path.isEmpty() && file.exists() && file.isReadable()) {
                return file;
            }
            if (!isClientRoute(path)) {
                return null;
            }
            Resource index = location.createRelative("index.html");
            return index.exists() && index.isReadable() ? index : null;
        }

        static boolean isClientRoute(String path) {
            String last = path.substring(path.lastIndexOf('/') + 1);
            return NOT_UI.stream().noneMatch(path::startsWith) && !last.contains(".");
        }
    }
}
