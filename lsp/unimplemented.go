package lsp

import (
	"context"
	"fmt"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// The protocol.Server methods lambdalens does not support, one line each,
// so that the compiler checks the interface is complete and an unexpected
// request gets a MethodNotFound error instead of a nil-pointer panic. The
// server does not advertise any of them in its capabilities.

func notSupported(method string) error {
	return fmt.Errorf("%q: %w", method, jsonrpc2.ErrMethodNotFound)
}

func (s *server) LogTrace(context.Context, *protocol.LogTraceParams) error {
	return notSupported(protocol.MethodLogTrace)
}
func (s *server) CodeAction(context.Context, *protocol.CodeActionParams) ([]protocol.CodeAction, error) {
	return nil, notSupported(protocol.MethodTextDocumentCodeAction)
}
func (s *server) CodeLensResolve(context.Context, *protocol.CodeLens) (*protocol.CodeLens, error) {
	return nil, notSupported(protocol.MethodCodeLensResolve)
}
func (s *server) ColorPresentation(context.Context, *protocol.ColorPresentationParams) ([]protocol.ColorPresentation, error) {
	return nil, notSupported(protocol.MethodTextDocumentColorPresentation)
}
func (s *server) Completion(context.Context, *protocol.CompletionParams) (*protocol.CompletionList, error) {
	return nil, notSupported(protocol.MethodTextDocumentCompletion)
}
func (s *server) CompletionResolve(context.Context, *protocol.CompletionItem) (*protocol.CompletionItem, error) {
	return nil, notSupported(protocol.MethodCompletionItemResolve)
}
func (s *server) Declaration(context.Context, *protocol.DeclarationParams) ([]protocol.Location, error) {
	return nil, notSupported(protocol.MethodTextDocumentDeclaration)
}
func (s *server) Definition(context.Context, *protocol.DefinitionParams) ([]protocol.Location, error) {
	return nil, notSupported(protocol.MethodTextDocumentDefinition)
}
func (s *server) DocumentColor(context.Context, *protocol.DocumentColorParams) ([]protocol.ColorInformation, error) {
	return nil, notSupported(protocol.MethodTextDocumentDocumentColor)
}
func (s *server) DocumentHighlight(context.Context, *protocol.DocumentHighlightParams) ([]protocol.DocumentHighlight, error) {
	return nil, notSupported(protocol.MethodTextDocumentDocumentHighlight)
}
func (s *server) DocumentLink(context.Context, *protocol.DocumentLinkParams) ([]protocol.DocumentLink, error) {
	return nil, notSupported(protocol.MethodTextDocumentDocumentLink)
}
func (s *server) DocumentLinkResolve(context.Context, *protocol.DocumentLink) (*protocol.DocumentLink, error) {
	return nil, notSupported(protocol.MethodDocumentLinkResolve)
}
func (s *server) DocumentSymbol(context.Context, *protocol.DocumentSymbolParams) ([]interface{}, error) {
	return nil, notSupported(protocol.MethodTextDocumentDocumentSymbol)
}
func (s *server) FoldingRanges(context.Context, *protocol.FoldingRangeParams) ([]protocol.FoldingRange, error) {
	return nil, notSupported(protocol.MethodTextDocumentFoldingRange)
}
func (s *server) Formatting(context.Context, *protocol.DocumentFormattingParams) ([]protocol.TextEdit, error) {
	return nil, notSupported(protocol.MethodTextDocumentFormatting)
}
func (s *server) Implementation(context.Context, *protocol.ImplementationParams) ([]protocol.Location, error) {
	return nil, notSupported(protocol.MethodTextDocumentImplementation)
}
func (s *server) OnTypeFormatting(context.Context, *protocol.DocumentOnTypeFormattingParams) ([]protocol.TextEdit, error) {
	return nil, notSupported(protocol.MethodTextDocumentOnTypeFormatting)
}
func (s *server) PrepareRename(context.Context, *protocol.PrepareRenameParams) (*protocol.Range, error) {
	return nil, notSupported(protocol.MethodTextDocumentPrepareRename)
}
func (s *server) RangeFormatting(context.Context, *protocol.DocumentRangeFormattingParams) ([]protocol.TextEdit, error) {
	return nil, notSupported(protocol.MethodTextDocumentRangeFormatting)
}
func (s *server) References(context.Context, *protocol.ReferenceParams) ([]protocol.Location, error) {
	return nil, notSupported(protocol.MethodTextDocumentReferences)
}
func (s *server) Rename(context.Context, *protocol.RenameParams) (*protocol.WorkspaceEdit, error) {
	return nil, notSupported(protocol.MethodTextDocumentRename)
}
func (s *server) SignatureHelp(context.Context, *protocol.SignatureHelpParams) (*protocol.SignatureHelp, error) {
	return nil, notSupported(protocol.MethodTextDocumentSignatureHelp)
}
func (s *server) Symbols(context.Context, *protocol.WorkspaceSymbolParams) ([]protocol.SymbolInformation, error) {
	return nil, notSupported(protocol.MethodWorkspaceSymbol)
}
func (s *server) TypeDefinition(context.Context, *protocol.TypeDefinitionParams) ([]protocol.Location, error) {
	return nil, notSupported(protocol.MethodTextDocumentTypeDefinition)
}
func (s *server) WillSave(context.Context, *protocol.WillSaveTextDocumentParams) error {
	return notSupported(protocol.MethodTextDocumentWillSave)
}
func (s *server) WillSaveWaitUntil(context.Context, *protocol.WillSaveTextDocumentParams) ([]protocol.TextEdit, error) {
	return nil, notSupported(protocol.MethodTextDocumentWillSaveWaitUntil)
}
func (s *server) ShowDocument(context.Context, *protocol.ShowDocumentParams) (*protocol.ShowDocumentResult, error) {
	return nil, notSupported(protocol.MethodShowDocument)
}
func (s *server) WillCreateFiles(context.Context, *protocol.CreateFilesParams) (*protocol.WorkspaceEdit, error) {
	return nil, notSupported(protocol.MethodWillCreateFiles)
}
func (s *server) DidCreateFiles(context.Context, *protocol.CreateFilesParams) error {
	return notSupported(protocol.MethodDidCreateFiles)
}
func (s *server) WillRenameFiles(context.Context, *protocol.RenameFilesParams) (*protocol.WorkspaceEdit, error) {
	return nil, notSupported(protocol.MethodWillRenameFiles)
}
func (s *server) DidRenameFiles(context.Context, *protocol.RenameFilesParams) error {
	return notSupported(protocol.MethodDidRenameFiles)
}
func (s *server) WillDeleteFiles(context.Context, *protocol.DeleteFilesParams) (*protocol.WorkspaceEdit, error) {
	return nil, notSupported(protocol.MethodWillDeleteFiles)
}
func (s *server) DidDeleteFiles(context.Context, *protocol.DeleteFilesParams) error {
	return notSupported(protocol.MethodDidDeleteFiles)
}
func (s *server) CodeLensRefresh(context.Context) error {
	return notSupported(protocol.MethodCodeLensRefresh)
}
func (s *server) PrepareCallHierarchy(context.Context, *protocol.CallHierarchyPrepareParams) ([]protocol.CallHierarchyItem, error) {
	return nil, notSupported(protocol.MethodTextDocumentPrepareCallHierarchy)
}
func (s *server) IncomingCalls(context.Context, *protocol.CallHierarchyIncomingCallsParams) ([]protocol.CallHierarchyIncomingCall, error) {
	return nil, notSupported(protocol.MethodCallHierarchyIncomingCalls)
}
func (s *server) OutgoingCalls(context.Context, *protocol.CallHierarchyOutgoingCallsParams) ([]protocol.CallHierarchyOutgoingCall, error) {
	return nil, notSupported(protocol.MethodCallHierarchyOutgoingCalls)
}
func (s *server) SemanticTokensFull(context.Context, *protocol.SemanticTokensParams) (*protocol.SemanticTokens, error) {
	return nil, notSupported(protocol.MethodSemanticTokensFull)
}
func (s *server) SemanticTokensFullDelta(context.Context, *protocol.SemanticTokensDeltaParams) (interface{}, error) {
	return nil, notSupported(protocol.MethodSemanticTokensFullDelta)
}
func (s *server) SemanticTokensRange(context.Context, *protocol.SemanticTokensRangeParams) (*protocol.SemanticTokens, error) {
	return nil, notSupported(protocol.MethodSemanticTokensRange)
}
func (s *server) SemanticTokensRefresh(context.Context) error {
	return notSupported(protocol.MethodSemanticTokensRefresh)
}
func (s *server) LinkedEditingRange(context.Context, *protocol.LinkedEditingRangeParams) (*protocol.LinkedEditingRanges, error) {
	return nil, notSupported(protocol.MethodLinkedEditingRange)
}
func (s *server) Moniker(context.Context, *protocol.MonikerParams) ([]protocol.Moniker, error) {
	return nil, notSupported(protocol.MethodMoniker)
}
