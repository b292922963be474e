package io.aegis.server.api;

/**
 * One REST operation. Runs on a worker thread (it may block on the store) after the caller's
 * access has been checked. Throw {@link ApiException} for any answer other than success.
 */
@FunctionalInterface
public interface Endpoint {
  Reply handle(ApiRequest request) throws Exception;
}
