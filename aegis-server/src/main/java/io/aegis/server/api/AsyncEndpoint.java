package io.aegis.server.api;

import java.util.concurrent.CompletionStage;

/**
 * A REST operation whose answer completes later, for example after a group commit or when an
 * agent answers. The method itself runs on a worker thread and may block briefly (validation,
 * reads); it must not wait for the answer. A future completed with {@link ApiException} becomes
 * that error.
 */
@FunctionalInterface
public interface AsyncEndpoint {
  CompletionStage<Reply> handle(ApiRequest request) throws Exception;
}
