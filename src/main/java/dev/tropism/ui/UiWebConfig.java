package dev.tropism.ui;

import java.io.IOException;
import java.util.regex.Pattern;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.resource.PathResourceResolver;

/**
 * Serves the web UI (built from {@code frontend/} into {@code classpath:/static/}) at {@code /}. The UI
 * routes on the client ({@code /jobs/job_…}), so a reload of one of its routes must answer
 * {@code index.html}. Only the UI's own routes do ({@link #CLIENT_ROUTES}, the paths of
 * {@code frontend/src/App.tsx}): any other missing path, API or not, keeps its 404 problem. The UI itself
 * needs no key (it only calls {@code /v1/**}, which does).
 */
@Configuration
class UiWebConfig implements WebMvcConfigurer {

    /** The client-side routes of the UI (without the leading slash), as in {@code frontend/src/App.tsx}. */
    static final Pattern CLIENT_ROUTES = Pattern.compile(
            "(|signin|jobs|jobs/[^/.]+|compare|models|datasets|reward-specs|evaluations|evaluations/[^/.]+"
                    + "|evaluations/suites/[^/.]+|playground|workers|team)/?");

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
            if (!CLIENT_ROUTES.matcher(path).matches()) {
                return null;
            }
            Resource index = location.createRelative("index.html");
            return index.exists() && index.isReadable() ? index : null;
        }
    }
}
