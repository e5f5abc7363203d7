import numpy as np

from chapters import plots


def test_history_plot_has_a_labelled_panel_per_metric():
    history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6], "accuracy": [0.6, 0.8, 0.9]}
    figure = plots.plot_history(history, metrics=("loss", "accuracy", "auc"))
    loss_axis, accuracy_axis = figure.axes
    assert (loss_axis.get_xlabel(), loss_axis.get_ylabel()) == ("epoch", "loss")
    assert [line.get_label() for line in loss_axis.get_lines()] == ["training", "validation"]
    assert accuracy_axis.get_ylabel() == "accuracy" and len(accuracy_axis.get_lines()) == 1


def test_image_grid_titles_each_image_with_its_label():
    images = np.random.default_rng(0).integers(0, 255, size=(10, 28, 28), dtype=np.uint8)
    figure = plots.plot_image_grid(images, labels=list(range(10)), columns=4)
    titled = [axis.get_title() for axis in figure.axes if axis.images]
    assert titled == [str(label) for label in range(10)]
    assert len(figure.axes) == 12


def test_named_curves_share_one_axis_and_a_continuing_run_starts_later():
    figure = plots.plot_curves(
        {"frozen": [0.8, 0.85, 0.9], "fine-tuned": [0.92, 0.93]},
        "validation accuracy",
        first_epochs={"fine-tuned": 4},
    )
    axis = figure.axes[0]
    lines = {line.get_label(): list(line.get_xdata()) for line in axis.get_lines()}
    assert lines == {"frozen": [1, 2, 3], "fine-tuned": [4, 5]}
    assert axis.get_ylabel() == "validation accuracy"


def test_curves_by_batch_name_their_horizontal_axis():
    figure = plots.plot_curves({"training loss": [2.3, 1.1, 0.7]}, "loss", xlabel="batch")
    assert figure.axes[0].get_xlabel() == "batch"
    assert plots.plot_curves({"loss": [1.0]}, "loss").axes[0].get_xlabel() == "epoch"


def test_levels_are_labelled_horizontal_lines():
    figure = plots.plot_curves({"lstm": [2.6, 2.4, 2.3]}, "validation MAE", levels={"baseline": 2.66})
    baseline = [line for line in figure.axes[0].get_lines() if line.get_label() == "baseline"]
    assert len(baseline) == 1 and list(baseline[0].get_ydata()) == [2.66, 2.66]


def test_heatmaps_lie_over_their_images_scaled_to_each_maximum():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(3, 64, 48, 3)).astype("float32")
    heatmaps = rng.uniform(0, 5, size=(3, 7, 7))
    figure = plots.plot_heatmaps(images, heatmaps, labels=["cat", "dog", "dog"], columns=2)
    drawn = [axis for axis in figure.axes if axis.images]
    assert [axis.get_title() for axis in drawn] == ["cat", "dog", "dog"] and len(figure.axes) == 4
    photo, overlay = drawn[0].images
    assert photo.get_array().shape == (64, 48, 3)
    assert overlay.get_extent() == [0, 48, 64, 0]  # stretched over the whole photo
    assert np.isclose(overlay.get_array().max(), 1.0)
