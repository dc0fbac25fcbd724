// An error that crossed a process boundary (IPC, HTTP) as plain {name, message}.
export class ApiError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
