package dev.tropism.ratelimits;

import javax.sql.DataSource;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** Rate limiting of {@code /v1/**}, after authentication (the teams module's interceptor, order 0). */
@Configuration
class RateLimitsWebConfig implements WebMvcConfigurer {

    /** After every interceptor registered with the default order 0, authentication included. */
    static final int ORDER = 100;

    private final RateLimitProperties properties;
    private final DataSource dataSource;

    RateLimitsWebConfig(RateLimitProperties properties, DataSource dataSource) {
        this.properties = properties;
        this.dataSource = dataSource;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        if (!properties.enabled()) {
            return;
        }
        BucketStore store = properties.store() == RateLimitProperties.Store.POSTGRESQL
                ? new BucketStore.Postgres(dataSource) : new BucketStore.Local();
        registry.addInterceptor(new RateLimitInterceptor(new RateLimiter(properties, store)))
                .addPathPatterns("/v1/**").order(ORDER);
    }
}
