"""The Lightning logger and the Transformers callback on tiny models, against the real server."""

from __future__ import annotations

import pytest
from server_reads import run_view

import runlog

pytestmark = [pytest.mark.server, pytest.mark.torch]


def test_a_lightning_fit_logs_metrics_and_hyperparameters_and_finishes_the_run(server_url: str) -> None:
    import lightning as L
    import torch

    from runlog.integrations.lightning import RunlogLogger

    class Tiny(L.LightningModule):
        def __init__(self, lr: float = 0.05) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, _):  # type: ignore[no-untyped-def]
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x).squeeze(-1), y)
            self.log("train/loss", loss)
            return loss

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    x = torch.randn(64, 4)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(dim=1)), batch_size=8)
    client = runlog.Client(server_url, flush_on_exit=False)
    logger = RunlogLogger(experiment="lightning-hook", client=client, name="tiny")
    trainer = L.Trainer(
        max_epochs=2, logger=logger, log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False
    )
    trainer.fit(Tiny(), data)
    run_id = logger.experiment.id
    assert logger.experiment.ended

    run = run_view(
        server_url, run_id, lambda r: r["status"] == "finished" and any(m["key"] == "train/loss" for m in r["metrics"])
    )
    loss = next(m for m in run["metrics"] if m["key"] == "train/loss")
    assert loss["count"] == 16 and loss["lastStep"] == 15  # 8 batches, two epochs, logged at every step
    assert {p["key"]: p["value"] for p in run["params"]}["lr"] == "0.05"
    client.close()


def test_a_transformers_trainer_logs_train_and_eval_metrics_and_finishes_the_run(server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from runlog.integrations.transformers import RunlogCallback

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, num_labels=2
    )
    model = BertForSequenceClassification(config)
    rows = [
        {"input_ids": torch.randint(0, 32, (6,)), "attention_mask": torch.ones(6, dtype=torch.long), "labels": i % 2}
        for i in range(32)
    ]
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        num_train_epochs=2,
        logging_steps=1,
        eval_strategy="epoch",
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    client = runlog.Client(server_url, flush_on_exit=False)
    callback = RunlogCallback(experiment="transformers-hook", client=client, name="tiny-bert")
    Trainer(model=model, args=args, train_dataset=rows, eval_dataset=rows[:8], callbacks=[callback]).train()
    assert callback.run is not None and callback.run.ended

    run = run_view(server_url, callback.run.id, lambda r: r["status"] == "finished" and len(r["metrics"]) >= 3)
    metrics = {m["key"]: m for m in run["metrics"]}
    assert metrics["train/loss"]["count"] == 8 and metrics["train/loss"]["lastStep"] == 8  # 4 steps an epoch, two
    assert metrics["eval/loss"]["count"] == 2
    params = {p["key"]: p["value"] for p in run["params"]}
    assert params["args.num_train_epochs"] == "2" and params["model.hidden_size"] == "8"
    client.close()


def test_one_element_tensors_are_kept_and_larger_ones_left_out() -> None:
    import torch

    from runlog.integrations._common import numeric

    kept = numeric({"a": torch.tensor(1.5), "b": torch.tensor([2.0]), "c": torch.zeros(3), "d": torch.zeros(1, 1)})
    assert sorted(kept) == ["a", "b", "d"]
