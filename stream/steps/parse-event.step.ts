import { dlq, ok, type StepResult } from '../step-result';

const utf8 = new TextDecoder('utf-8', { fatal: true }); // stateless for whole-buffer decodes

/** Bus bytes → a JSON value. Anything that is not valid UTF-8 JSON goes to the DLQ. */
export function parseEvent(value: Buffer): StepResult<unknown> {
  try {
    return ok(JSON.parse(utf8.decode(value)));
  } catch (err) {
    return dlq('json_invalid', [(err as Error).message.slice(0, 200)]);
  }
}
