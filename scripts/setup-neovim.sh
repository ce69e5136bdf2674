#!/usr/bin/env bash
# Installs Debian's neovim (0.7.2 on bookworm) for test/neovim, the suite that drives the server from a real
# non-VS Code LSP client. Idempotent: nothing to do when nvim is there.
set -euo pipefail
log() { printf '[setup-neovim] %s\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if ! command -v nvim >/dev/null 2>&1; then
  log "apt-get install neovim"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends neovim >/dev/null
fi
# The suite uses vim.lsp.start_client, vim.api.nvim_create_autocmd and vim.json: Neovim 0.7 or later.
nvim --headless -u NONE -c 'lua if vim.fn.has("nvim-0.7") == 0 then io.stderr:write("[setup-neovim] Neovim 0.7 or later is needed\n") vim.cmd("cquit") end' -c 'qall!'
log "$(nvim --version | head -n 1)"
