/**
 * What the client declared it supports, and the server-to-client requests that depend on it: each is sent only
 * when declared, and a failed one is logged, never left to end the process (clients answer MethodNotFound).
 */
import {
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  InlayHintRefreshRequest,
  SemanticTokensRefreshRequest,
  type ClientCapabilities,
  type Connection,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver';

export class ClientFeatures {
  private capabilities: ClientCapabilities = {};

  constructor(
    private readonly connection: Connection,
    private readonly log: (message: string) => void,
  ) {}

  /** From the `initialize` request; before it, nothing is declared. */
  declare(capabilities: ClientCapabilities): void {
    this.capabilities = capabilities;
  }

  /** `workspace/configuration`: settings pulled per document. */
  get configuration(): boolean {
    return this.capabilities.workspace?.configuration === true;
  }

  /** A server-initiated progress report; undefined when the client cannot show one or refused it. */
  async createProgress(): Promise<WorkDoneProgressServerReporter | undefined> {
    if (this.capabilities.window?.workDoneProgress !== true) return undefined;
    try {
      return await this.connection.window.createWorkDoneProgress();
    } catch (error) {
      this.log(`the client rejected window/workDoneProgress/create: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** codeAction/resolve: a code action's edit may be made when the user chooses it. */
  get codeActionResolve(): boolean {
    return this.capabilities.textDocument?.codeAction?.resolveSupport?.properties.includes('edit') === true;
  }

  /** Workspace edits whose changes the user confirms first (VS Code's refactor preview). */
  get changeAnnotations(): boolean {
    const edit = this.capabilities.workspace?.workspaceEdit;
    return edit?.documentChanges === true && edit.changeAnnotationSupport !== undefined;
  }

  /** Dynamic registration of file watchers: the server hears of BIO files created, changed and deleted on disk. */
  watchFiles(globPattern: string): void {
    if (this.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true) {
      this.settle('client/registerCapability', this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern }] }));
    }
  }

  get semanticTokens(): boolean {
    return this.capabilities.textDocument?.semanticTokens !== undefined;
  }

  get inlayHints(): boolean {
    return this.capabilities.textDocument?.inlayHint !== undefined;
  }

  /** The client asks again for the semantic tokens of visible documents (prose predictions arrived). */
  refreshSemanticTokens(): void {
    if (this.capabilities.workspace?.semanticTokens?.refreshSupport === true) {
      this.settle(SemanticTokensRefreshRequest.method, this.connection.sendRequest(SemanticTokensRefreshRequest.type));
    }
  }

  /** The client asks again for the inlay hints of visible documents (BIO predictions arrived). */
  refreshInlayHints(): void {
    if (this.capabilities.workspace?.inlayHint?.refreshSupport === true) {
      this.settle(InlayHintRefreshRequest.method, this.connection.sendRequest(InlayHintRefreshRequest.type));
    }
  }

  /** Asks to be told of `bioner.*` changes, for clients that send them only to servers that registered. */
  registerForConfigurationChanges(): void {
    if (this.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true) {
      this.settle('client/registerCapability', this.connection.client.register(DidChangeConfigurationNotification.type, { section: 'bioner' }));
    }
  }

  /** Logs the failure of a request the client did not want or could not answer. */
  private settle(method: string, request: Promise<unknown>): void {
    request.catch((error: Error) => this.log(`the client rejected ${method}: ${error.message}`));
  }
}
