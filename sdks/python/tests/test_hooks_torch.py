"""The Lightning logger and the Transformers callback on tiny models, against the real server."""

from __future__ import annotations

import pytest
from server_reads import run_view

import runlog

pytestmark = [pytest.mark.server, pytest.mark.torch]


def test_a_lightning_fit_and_the_test_after_it_log_into_one_run_and_a_failed_fit_fails_its_run(server_url: str) -> None:
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

        def test_step(self, batch, _):  # type: ignore[no-untyped-def]
            x, y = batch
            self.log("test/loss", torch.nn.functional.mse_loss(self.layer(x).squeeze(-1), y))

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
    model = Tiny()
    trainer.fit(model, data)
    run_id = logger.experiment.id
    assert not logger.experiment.ended  # open for the test that follows
    trainer.test(model, data, verbose=False)
    assert logger.experiment.id == run_id
    logger.finish()

    run = run_view(
        server_url, run_id, lambda r: r["status"] == "finished" and any(m["key"] == "test/loss" for m in r["metrics"])
    )
    metrics = {m["key"]: m for m in run["metrics"]}
    assert metrics["train/loss"]["count"] == 16 and metrics["train/loss"]["lastStep"] == 15  # 8 batches, 2 epochs
    assert metrics["test/loss"]["count"] == 1
    assert {p["key"]: p["value"] for p in run["params"]}["lr"] == "0.05"

    class Diverges(Tiny):
        def training_step(self, batch, index):  # type: ignore[no-untyped-def]
            if index == 3:
                raise FloatingPointError("loss is nan")
            return super().training_step(batch, index)

    failing = RunlogLogger(experiment="lightning-hook", client=client, name="diverges")
    with pytest.raises(FloatingPointError):
        L.Trainer(max_epochs=1, logger=failing, enable_checkpointing=False, enable_progress_bar=False).fit(
            Diverges(), data
        )
    failed = run_view(server_url, failing.experiment.id, lambda r: r["status"] == "failed")
    assert failed["failureReason"] == "FloatingPointError: loss is nan"
    client.close()


def test_a_transformers_trainer_logs_train_and_eval_metrics_and_the_evaluate_after_it(
    server_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
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
    trainer = Trainer(model=model, args=args, train_dataset=rows, eval_dataset=rows[:8], callbacks=[callback])
    trainer.train()
    assert callback.run is not None and not callback.run.ended  # open for the evaluation that follows
    trainer.evaluate(rows[8:16], metric_key_prefix="test")
    callback.finish()

    run = run_view(
        server_url,
        callback.run.id,
        lambda r: r["status"] == "finished" and any(m["key"] == "test/loss" for m in r["metrics"]),
    )
    metrics = {m["key"]: m for m in run["metrics"]}
    assert metrics["train/loss"]["count"] == 8 and metrics["train/loss"]["lastStep"] == 8  # 4 steps an epoch, two
    assert metrics["eval/loss"]["count"] == 2
    assert metrics["test/loss"]["count"] == 1 and metrics["test/loss"]["lastStep"] == 8
    params = {p["key"]: p["value"] for p in run["params"]}
    assert params["args.num_train_epochs"] == "2" and params["model.hidden_size"] == "8"
    client.close()


def test_one_element_tensors_are_kept_and_larger_ones_left_out() -> None:
    import torch

    from runlog.integrations._common import numeric

    kept = numeric({"a": torch.tensor(1.5), "b": torch.tensor([2.0]), "c": torch.zeros(3), "d": torch.zeros(1, 1)})
    assert sorted(kept) == ["a", "b", "d"]
