/**
 * The API errors the patch engines raise, shaped as kube-apiserver shapes them
 * (k8s.io/apiserver/pkg/endpoints/handlers/patch.go, k8s.io/apimachinery/pkg/api/errors).
 */
import { KubeApiError } from '../kube-object.js';

/** 400: the patch document itself is malformed (`errors.NewBadRequest`). */
export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

/**
 * 422 for a patch that is well formed but does not apply (failed `test`, missing path). patch.go
 * wraps the json-patch error in `NewGenericServerResponse(422, ...)`, which keeps only the generic
 * message and drops the server message (no causes) - so kubectl prints "The request is invalid: the
 * server rejected our request due to an error in our request". `detail` is kept on the error object
 * for logs and tests only.
 */
export function unprocessable(detail: string): KubeApiError & { readonly detail: string } {
  const error = new KubeApiError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {},
  );
  return Object.assign(error, { detail });
}

/**
 * Errors strategic merge returns that patch.go does not translate (e.g. a list item without its
 * merge key) reach the client as a 500 carrying the raw message (`ErrorToAPIStatus`).
 */
export function internalError(message: string): KubeApiError {
  return new KubeApiError(500, 'InternalError', message);
}
