/**
 * The served model's name: Triton's model folder and KServe's InferenceService name at once, so that the endpoint is
 * /v2/models/NAME on one machine and on the cluster alike.
 */

/**
 * KServe accepts DNS-1035 labels (a lower-case letter, then lower-case letters, digits and '-', not ending in '-'),
 * and Knative derives revision names such as NAME-predictor-00001 that must stay within Kubernetes' 63 characters.
 */
const NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LENGTH = 45;

/** Why `name` cannot be served under that name, or undefined when it can. */
export function servingNameProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name)) return `'${name}' is not a valid serving name: use lower-case letters, digits and '-', starting with a letter and not ending with '-'`;
  if (name.length > MAX_LENGTH) return `'${name}' is too long for a serving name (${name.length} characters, at most ${MAX_LENGTH})`;
  return undefined;
}

/** A valid serving name made from a model folder's name: "BC5CDR_v2" gives "bc5cdr-v2", "2024 model" gives "model-2024-model". */
export function defaultServingName(folderName: string): string {
  const words = folderName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const name = /^[a-z]/.test(words) ? words : `model-${words}`.replace(/-$/, '');
  return name.slice(0, MAX_LENGTH).replace(/-+$/, '');
}
