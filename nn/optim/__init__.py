"""nn.optim: update rules that use the gradients in `.grad` to change parameters, and learning-rate schedules.

    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, t in batches:
        optimizer.zero_grad()           # backward adds into .grad, so clear it first
        loss = criterion(model(x), t)
        loss.backward()
        optimizer.step()
"""

from nn.optim.adagrad import Adagrad
from nn.optim.adam import Adam, AdamW
from nn.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR
from nn.optim.optimizer import Optimizer
from nn.optim.rmsprop import RMSprop
from nn.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "CosineAnnealingLR", "LRScheduler", "Optimizer", "RMSprop", "StepLR"]

# Schedules added for the CNN work (PyTorch's formulas; see lr_scheduler.py).
from nn.optim.lr_scheduler import ExponentialLR, LambdaLR, MultiStepLR, OneCycleLR, ReduceLROnPlateau  # noqa: E402

__all__ += ["ExponentialLR", "LambdaLR", "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau"]
