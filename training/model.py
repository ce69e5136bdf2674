"""Mode (a) model: sub-word embeddings + char-CNN over each sub-word's characters + BiLSTM + linear
emissions, trained with a linear-chain CRF over word positions (each word's first sub-word).

The char-CNN depends only on the sub-word id, so for export its output for every vocabulary entry is
computed once and concatenated to the embedding table: the ONNX graph is Gather -> BiLSTM -> MatMul, with
inputs input_ids/attention_mask only, and the same numbers as training-time inference.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

NEG = -10000.0


def iob2_constraints(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """allowed[from, to] and can_start[to] for IOB2: I-X only after B-X or I-X; no sentence starts with I-X."""
    n = len(labels)
    allowed = torch.ones(n, n, dtype=torch.bool)
    start = torch.ones(n, dtype=torch.bool)
    for j, to in enumerate(labels):
        if to.startswith("I-"):
            start[j] = False
            for i, frm in enumerate(labels):
                allowed[i, j] = frm != "O" and frm[2:] == to[2:]
    return allowed, start


class CRF(nn.Module):
    """Linear-chain CRF: score(y) = start[y0] + sum emissions[t, yt] + sum trans[y(t-1), yt] + end[yn].
    Transitions invalid under IOB2 are fixed at NEG (in training, decoding and export alike)."""

    def __init__(self, labels: list[str]):
        super().__init__()
        n = len(labels)
        allowed, can_start = iob2_constraints(labels)
        self.register_buffer("allowed", allowed, persistent=False)
        self.register_buffer("can_start", can_start, persistent=False)
        self.transitions = nn.Parameter(torch.empty(n, n).uniform_(-0.1, 0.1))
        self.start = nn.Parameter(torch.zeros(n))
        self.end = nn.Parameter(torch.zeros(n))

    def masked(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        trans = self.transitions.masked_fill(~self.allowed, NEG)
        start = self.start.masked_fill(~self.can_start, NEG)
        return trans, start, self.end

    def nll(self, em: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Sum over the batch of -log p(tags | emissions). em [B,W,L], tags [B,W], mask [B,W] bool (left-aligned)."""
        trans, start, end = self.masked()
        B, W, L = em.shape
        lengths = mask.sum(1)
        # Gold path score.
        ar = torch.arange(B, device=em.device)
        gold = start[tags[:, 0]] + em[:, 0].gather(1, tags[:, :1]).squeeze(1)
        for t in range(1, W):
            step = trans[tags[:, t - 1], tags[:, t]] + em[:, t].gather(1, tags[:, t : t + 1]).squeeze(1)
            gold = gold + step * mask[:, t]
        last = tags[ar, lengths - 1]
        gold = gold + end[last]
        # Partition function.
        alpha = start.unsqueeze(0) + em[:, 0]
        for t in range(1, W):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + em[:, t]
            alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
        logz = torch.logsumexp(alpha + end.unsqueeze(0), dim=1)
        return (logz - gold).sum()


class Encoder(nn.Module):
    """Token features -> BiLSTM (packed, explicit zero state) -> emissions. Shared by training and export."""

    def __init__(self, in_dim: int, hidden: int, layers: int, n_labels: int, dropout: float):
        super().__init__()
        self.hidden, self.layers = hidden, layers
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, bidirectional=True, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden, n_labels)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        B, S = attention_mask.shape
        lengths = attention_mask.sum(1)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h0 = torch.zeros(2 * self.layers, B, self.hidden, dtype=x.dtype, device=x.device)
        y, _ = self.lstm(packed, (h0, h0))
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=S)
        return self.out(self.drop(y))


class Tagger(nn.Module):
    def __init__(self, char_table: list[list[int]], n_chars: int, labels: list[str], emb_dim: int = 100,
                 char_dim: int = 30, char_filters: int = 50, char_width: int = 3, hidden: int = 200,
                 layers: int = 1, dropout: float = 0.5, emb_dropout: float | None = None,
                 word_dropout: float = 0.0, starts: list[bool] | None = None):
        super().__init__()
        self.word_dropout = word_dropout
        # starts[v]: piece v begins a pre-token (no '##'); when given, every position also gets the mean of
        # the features of its pre-token's pieces, so a word's first piece sees the whole word's spelling.
        self.pool = starts is not None
        if self.pool:
            self.register_buffer("starts", torch.tensor(starts, dtype=torch.long), persistent=False)
        self.register_buffer("chars", torch.tensor(char_table, dtype=torch.long), persistent=False)
        vocab = len(char_table)
        self.embed = nn.Embedding(vocab, emb_dim, padding_idx=0)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        self.char_embed = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, char_filters, char_width, padding=char_width // 2)
        self.emb_drop = nn.Dropout(dropout if emb_dropout is None else emb_dropout)
        feat = emb_dim + char_filters
        self.encoder = Encoder(2 * feat if self.pool else feat, hidden, layers, len(labels), dropout)
        self.crf = CRF(labels)

    def char_features(self, ids: torch.Tensor) -> torch.Tensor:
        """Char-CNN max-pooled over the piece's characters, for a 1-D tensor of vocabulary ids."""
        chars = self.chars[ids]  # [N, C]
        x = self.char_embed(chars).transpose(1, 2)  # [N, D, C]
        y = self.conv(x)  # [N, F, C]
        y = y.masked_fill((chars == 0).unsqueeze(1), -1e4)
        return torch.relu(y.max(2).values)

    def features(self, input_ids: torch.Tensor) -> torch.Tensor:
        uniq, inv = torch.unique(input_ids, return_inverse=True)
        ch = self.char_features(uniq)[inv]
        emb = self.embed(input_ids)
        if self.training and self.word_dropout > 0:
            # Drop whole piece embeddings (not their characters) so that rare and unseen pieces are
            # recognised from their spelling and context.
            keep = torch.rand(input_ids.shape, device=input_ids.device) >= self.word_dropout
            emb = emb * keep.unsqueeze(-1)
        return torch.cat([emb, ch], dim=-1)

    def emissions(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.features(input_ids)
        if self.pool:
            x = pool_pretokens(x, self.starts[input_ids])
        return self.encoder(self.emb_drop(x), attention_mask)

    def forward(self, input_ids, attention_mask, word_pos, word_tags, word_mask) -> torch.Tensor:
        """Summed CRF negative log-likelihood over word positions (word_pos: index of each word's first piece)."""
        em = self.emissions(input_ids, attention_mask)
        wem = em.gather(1, word_pos.unsqueeze(2).expand(-1, -1, em.shape[2]))
        return self.crf.nll(wem, word_tags, word_mask)

    @torch.no_grad()
    def folded_table(self) -> torch.Tensor:
        """[vocab, emb_dim + char_filters]: what `features` computes for each id, for the exported graph."""
        ids = torch.arange(self.chars.shape[0], device=self.chars.device)
        parts = [self.char_features(chunk) for chunk in ids.split(4096)]
        return torch.cat([self.embed.weight, torch.cat(parts)], dim=1)


def pool_pretokens(x: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    """[B, S, D] -> [B, S, 2D]: each position's features and the mean over the pieces of its pre-token
    (a run of one start piece and the '##' pieces after it). [CLS], [SEP] and [PAD] are start pieces, so
    padding never mixes with real positions."""
    group = torch.cumsum(starts, dim=1)
    same = (group.unsqueeze(2) == group.unsqueeze(1)).to(x.dtype)  # [B, S, S]
    pooled = torch.matmul(same, x) / same.sum(2, keepdim=True)
    return torch.cat([x, pooled], dim=-1)


class ExportModel(nn.Module):
    """The graph that ships: (input_ids, attention_mask) -> logits [batch, sequence, labels]."""

    def __init__(self, tagger: Tagger):
        super().__init__()
        self.table = nn.Parameter(tagger.folded_table().detach().clone(), requires_grad=False)
        self.encoder = tagger.encoder
        self.pool = tagger.pool
        if self.pool:
            self.register_buffer("starts", tagger.starts.detach().clone())

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = nn.functional.embedding(input_ids, self.table)
        if self.pool:
            x = pool_pretokens(x, self.starts[input_ids])
        return self.encoder(x, attention_mask)
