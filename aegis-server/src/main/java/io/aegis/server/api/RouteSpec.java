package io.aegis.server.api;

/** A registered route, in OpenAPI's path syntax ({@code /api/v1/agents/{agent_id}}). */
public record RouteSpec(String method, String openApiPath, Access access) {}
