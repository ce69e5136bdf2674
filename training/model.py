"""Mode (a) model: per word, a char-CNN over its characters and a word embedding, a BiLSTM over the
words and linear emissions, trained with a linear-chain CRF over the words (Ma & Hovy 2016, Lample et al.
2016). The whole model, word layout included, is one ONNX graph with the sub-word contract's inputs.
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
    """Mode (a) word-level model inside the sub-word contract: a word's characters (char-CNN) and its word
    embedding -> BiLSTM over words -> emissions, broadcast back to each piece of the word.

    The tokenizer (tokenization.train_word_tokenizer) splits on whitespace only, so one pre-token is one word;
    frequent words are single pieces, other words are spelled with shorter pieces. The graph reassembles each
    word's characters from its pieces (tables below) with cumsum/scatter/gather, all exportable to ONNX, so the
    only inputs stay input_ids and attention_mask.
    """

    def __init__(self, spelling: dict, n_chars: int, n_words: int, labels: list[str], emb_dim: int = 100,
                 char_dim: int = 30, char_filters: int = 50, char_width: int = 3, hidden: int = 200,
                 layers: int = 1, dropout: float = 0.5, word_dropout: float = 0.05, word_chars: int = 24,
                 freeze_embeddings: bool = False, heads: list[tuple[int, int]] | None = None):
        """heads: the label ranges [lo, hi) of a multi-task model, one CRF each over one shared encoder (Wang et
        al. 2019); by default one head over all labels."""
        super().__init__()
        self.word_dropout = word_dropout
        self.word_chars = word_chars
        # Per vocabulary piece: its characters (int16 keeps the graph small), how many, whether it starts a
        # word or continues one ('##'), and the index of its normalised form in the word embeddings.
        self.register_buffer("piece_chars", torch.tensor(spelling["chars"], dtype=torch.int16))
        self.register_buffer("piece_len", torch.tensor(spelling["lengths"], dtype=torch.long))
        self.register_buffer("piece_start", torch.tensor(spelling["starts"], dtype=torch.bool))
        self.register_buffer("piece_cont", torch.tensor(spelling["continues"], dtype=torch.bool))
        self.register_buffer("piece_word", torch.tensor(spelling["words"], dtype=torch.long))
        self.unk_word = spelling["unk_word"]
        self.embed = nn.Embedding(n_words, emb_dim, padding_idx=0)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        self.embed.weight.requires_grad_(not freeze_embeddings)
        self.char_embed = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, char_filters, char_width, padding=char_width // 2)
        self.emb_drop = nn.Dropout(dropout)
        self.encoder = Encoder(emb_dim + char_filters, hidden, layers, len(labels), dropout)
        self.heads = heads or [(0, len(labels))]
        self.crfs = nn.ModuleList(CRF(labels[lo:hi]) for lo, hi in self.heads)

    @property
    def crf(self) -> CRF:
        """The CRF of a one-head model."""
        assert len(self.crfs) == 1, "a multi-task model has one CRF per head: use crfs"
        return self.crfs[0]

    def words(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        """Word layout of a batch of pieces. Returns word_of [B,T] (each piece's word, -1 before the first),
        n_words [B], chars [B,T,C] (each word slot's characters, head and tail kept when longer than C, 0 after
        the last), lengths [B,T] (characters per word slot) and ids [B,T] (word embedding index per slot)."""
        B, T = input_ids.shape
        C = self.word_chars
        real = attention_mask.bool()
        start = self.piece_start[input_ids] & real
        cont = self.piece_cont[input_ids] & real
        member = start | cont
        word_of = torch.cumsum(start.long(), 1) - 1
        n_words = start.long().sum(1)
        # Slots 0..T-1 are words, T holds "end of text", T+1 swallows writes that must go nowhere.
        slot = torch.where(start, word_of, torch.full_like(word_of, T + 1))
        own = torch.where(member, word_of.clamp(min=0), torch.full_like(word_of, T + 1))
        piece_len = self.piece_len[input_ids] * member.long()
        before = torch.cumsum(piece_len, 1) - piece_len
        total = piece_len.sum(1, keepdim=True)
        begin = (input_ids.new_zeros(B, T + 2) + total).scatter(1, slot, before)
        lengths = begin[:, 1 : T + 1] - begin[:, :T]
        offset = before - begin.gather(1, own)
        word_len = torch.cat([lengths, input_ids.new_zeros(B, 2)], 1).gather(1, own)
        # Character k of a piece lands at position p of its word; long words keep C//2 head and C - C//2 tail.
        k = torch.arange(self.piece_chars.shape[1], device=input_ids.device)
        p = offset.unsqueeze(2) + k
        head = C // 2
        q = torch.where(p < head, p, p - (word_len.unsqueeze(2) - C).clamp(min=0))
        ok = member.unsqueeze(2) & (k < piece_len.unsqueeze(2)) & ((p < head) | (q >= head)) & (q < C)
        flat = torch.where(ok, own.unsqueeze(2) * C + q, torch.full_like(q, T * C))
        grid = input_ids.new_zeros(B, T * C + 1).scatter(1, flat.reshape(B, -1),
                                                         self.piece_chars[input_ids].long().reshape(B, -1))
        chars = grid[:, : T * C].reshape(B, T, C)
        # A word has an embedding only when it is one whole piece; spelled-out words are unknown words.
        next_cont = torch.cat([cont[:, 1:], torch.zeros_like(cont[:, :1])], 1)
        whole = start & ~next_cont
        wid = torch.where(whole, self.piece_word[input_ids], torch.full_like(input_ids, self.unk_word))
        ids = input_ids.new_zeros(B, T + 2).scatter(1, slot, wid)[:, :T]
        return word_of, n_words, chars, lengths.clamp(max=C), ids

    def char_features(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        B, T, C = chars.shape
        x = self.char_embed(chars.reshape(B * T, C)).transpose(1, 2)
        y = self.conv(x)
        pad = torch.arange(C, device=chars.device) >= lengths.reshape(B * T, 1)
        y = y.masked_fill(pad.unsqueeze(1), -1e4)
        return torch.relu(y.max(2).values).reshape(B, T, -1)

    def word_emissions(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        """Emissions per word slot [B, T, L] and each piece's word [B, T]."""
        word_of, n_words, chars, lengths, ids = self.words(input_ids, attention_mask)
        if self.training and self.word_dropout > 0:
            # Unknown-word training: rare and unseen words are then recognised from spelling and context.
            drop = torch.rand(ids.shape, device=ids.device) < self.word_dropout
            ids = torch.where(drop & (ids > 0), torch.full_like(ids, self.unk_word), ids)
        x = torch.cat([self.embed(ids), self.char_features(chars, lengths)], dim=-1)
        T = input_ids.shape[1]
        word_mask = (torch.arange(T, device=ids.device).unsqueeze(0) < n_words.clamp(min=1).unsqueeze(1)).long()
        return self.encoder(self.emb_drop(x), word_mask), word_of

    def emissions(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        em, word_of = self.word_emissions(input_ids, attention_mask)
        # A constant label count keeps the graph's output shape [batch, sequence, labels] declared.
        return em.gather(1, word_of.clamp(min=0).unsqueeze(2).expand(-1, -1, self.encoder.out.out_features))

    def forward(self, input_ids, attention_mask, word_pos, word_tags, word_mask, head: int = 0) -> torch.Tensor:
        """Summed CRF negative log-likelihood of one head (word_tags are its own label ids); the windows' words
        are the word slots in order."""
        em, _ = self.word_emissions(input_ids, attention_mask)
        lo, hi = self.heads[head]
        return self.crfs[head].nll(em[:, : word_tags.shape[1], lo:hi], word_tags, word_mask)


class ExportModel(nn.Module):
    """The graph that ships: (input_ids, attention_mask) -> logits [batch, sequence, labels]."""

    def __init__(self, tagger: Tagger):
        super().__init__()
        self.tagger = tagger

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.tagger.emissions(input_ids, attention_mask)
