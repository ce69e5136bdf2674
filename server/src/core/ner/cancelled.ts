/** The one error for work given up on purpose (a newer version, the user, a model switch, shutdown). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}
