"""nn.data: datasets, the DataLoader (coverage, determinism, drop_last, shapes, dtypes), splits."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor
from nn.data import DataLoader, Dataset, Subset, TensorDataset, collate, random_split, to_tensor, train_test_split


def index_dataset(n, features=3):
    """Row i of the features is i everywhere, and label i is i: a batch says which samples it holds."""
    x = np.repeat(np.arange(n, dtype=np.float64)[:, None], features, axis=1)
    return TensorDataset(x, np.arange(n))


def visited(loader):
    return [int(i) for _, t in loader for i in t.data]


# ---------------------------------------------------------------------------------------------- datasets
def test_tensor_dataset_items_length_and_no_copy():
    x, t = np.arange(12.0).reshape(6, 2), np.arange(6)
    ds = TensorDataset(x, Tensor(t))
    assert len(ds) == 6
    xi, ti = ds[4]
    np.testing.assert_array_equal(xi, [8.0, 9.0])
    assert ti == 4
    assert ds.arrays[0] is x  # stored, not copied
    xb, tb = ds.get_batch(np.array([5, 0]))
    np.testing.assert_array_equal(xb, [[10.0, 11.0], [0.0, 1.0]])
    np.testing.assert_array_equal(tb, [5, 0])
    assert "TensorDataset(float64[6, 2], int64[6])" == repr(ds)


def test_tensor_dataset_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"same first dimension.*\(5, 2\).*\(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="first \\(sample\\) dimension"):
        TensorDataset(np.float64(3.0))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


def test_subset_maps_indices_and_checks_range():
    ds = index_dataset(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[1][1] == 2
    np.testing.assert_array_equal(sub.get_batch(np.array([2, 0]))[1], [5, 7])
    with pytest.raises(IndexError, match=r"\[-10, 10\)"):
        Subset(ds, [3, 10])


# ---------------------------------------------------------------------------------------------- DataLoader
@given(n=st.integers(1, 60), batch_size=st.integers(1, 25), shuffle=st.booleans(), drop_last=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_every_sample_once_per_epoch_in_batches_of_batch_size(n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(index_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(t) for _, t in batches]
    if drop_last:
        assert sizes == [batch_size] * (n // batch_size)
    else:
        assert all(size == batch_size for size in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
    seen = visited(batches)
    assert len(seen) == len(set(seen)) == sum(sizes)  # nobody twice
    if not drop_last:
        assert sorted(seen) == list(range(n))          # everybody once
    if not shuffle:
        assert seen == list(range(len(seen)))           # in order
    for x, t in batches:  # features and labels stay aligned row by row
        np.testing.assert_array_equal(x.data[:, 0], t.data)


def test_len_matches_ceil_and_floor():
    assert len(DataLoader(index_dataset(10), batch_size=3)) == 4
    assert len(DataLoader(index_dataset(10), batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(index_dataset(2), batch_size=3, drop_last=True)) == 0
    assert list(DataLoader(index_dataset(2), batch_size=3, drop_last=True)) == []


def test_seed_gives_the_same_sequence_of_epochs_and_epochs_differ():
    a = DataLoader(index_dataset(50), batch_size=7, shuffle=True, seed=123)
    b = DataLoader(index_dataset(50), batch_size=7, shuffle=True, seed=123)
    a1, a2 = visited(a), visited(a)
    assert a1 == visited(b) and a2 == visited(b)
    assert a1 != a2  # a new permutation each epoch
    assert a1 != visited(DataLoader(index_dataset(50), batch_size=7, shuffle=True, seed=124))


def test_unseeded_shuffle_uses_the_global_generator():
    loader = DataLoader(index_dataset(40), batch_size=8, shuffle=True)
    ag.manual_seed(7)
    first = visited(loader)
    ag.manual_seed(7)
    assert visited(loader) == first
    ag.manual_seed(8)
    assert visited(loader) != first


def test_generator_as_seed():
    one = visited(DataLoader(index_dataset(30), 4, shuffle=True, seed=np.random.default_rng(5)))
    two = visited(DataLoader(index_dataset(30), 4, shuffle=True, seed=np.random.default_rng(5)))
    assert one == two and sorted(one) == list(range(30))


def test_batch_dtypes_and_shapes():
    n = 10
    ds = TensorDataset(np.zeros((n, 1, 4, 4)), np.zeros((n, 3), np.float32), np.arange(n, dtype=np.int32),
                       np.arange(n, dtype=np.uint8), np.ones(n, dtype=bool))
    x64, x32, i32, u8, flags = next(iter(DataLoader(ds, batch_size=4)))
    assert all(isinstance(t, Tensor) for t in (x64, x32, i32, u8, flags))
    assert x64.shape == (4, 1, 4, 4) and x64.dtype == np.float32  # float64 features -> default float
    assert x32.dtype == np.float32 and i32.dtype == np.int64 and u8.dtype == np.int64
    assert flags.dtype == np.bool_
    assert not x64.requires_grad and x64.grad_fn is None


def test_batches_follow_the_default_dtype():
    ds = TensorDataset(np.zeros((4, 2), np.float32), np.zeros(4))
    ag.set_default_dtype(np.float64)
    try:
        x, t = next(iter(DataLoader(ds, batch_size=4)))
        assert x.dtype == np.float64 and t.dtype == np.float64
    finally:
        ag.set_default_dtype(np.float32)


def test_batches_are_fresh_arrays_not_views_of_the_dataset():
    x = np.zeros((6, 2), np.float32)
    (xb,) = next(iter(DataLoader(TensorDataset(x), batch_size=6)))
    xb.data += 1  # a user's in-place edit of a batch must not change the dataset
    assert (x == 0).all()


def test_to_tensor_wraps_without_copying():
    batch = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert to_tensor(batch).data is batch
    assert to_tensor(np.arange(3, dtype=np.int64)).data.dtype == np.int64


def test_to_tensor_refuses_non_numbers():
    with pytest.raises(TypeError, match="dtype <U1"):
        to_tensor(np.array(["a", "b"]))


class CountingDataset(TensorDataset):
    item_calls = 0

    def __getitem__(self, index):
        type(self).item_calls += 1
        return super().__getitem__(index)


def test_array_datasets_are_batched_without_per_sample_calls():
    ds = CountingDataset(np.zeros((1000, 3)), np.zeros(1000, np.int64))
    batches = list(DataLoader(ds, batch_size=100, shuffle=True, seed=0))
    assert len(batches) == 10 and CountingDataset.item_calls == 0
    assert [len(x) for x, _ in DataLoader(Subset(ds, range(250)), batch_size=100)] == [100, 100, 50]
    assert CountingDataset.item_calls == 0


class Squares(Dataset):
    """A dataset without arrays: samples are computed one at a time."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=np.float64), "label": i % 2}


class BareSequence:
    """Not a Dataset subclass: just __len__ and __getitem__ returning numbers."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return 0.5 * i


def test_generic_datasets_are_collated_per_sample():
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert set(batch) == {"x", "label"}
    np.testing.assert_array_equal(batch["x"].data, [[0, 0], [1, 1], [2, 4]])
    assert batch["x"].dtype == np.float32 and batch["label"].dtype == np.int64
    (only,) = list(DataLoader(BareSequence(), batch_size=3))
    assert isinstance(only, Tensor) and only.dtype == np.float32
    np.testing.assert_array_equal(only.data, [0.0, 0.5, 1.0])
    (picked,) = list(DataLoader(Subset(BareSequence(), [2, 0]), batch_size=2))
    np.testing.assert_array_equal(picked.data, [1.0, 0.0])


def test_collate_errors():
    with pytest.raises(ValueError, match="different shapes"):
        collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="different numbers of fields"):
        collate([(1, 2), (1,)])
    with pytest.raises(ValueError, match="zero samples"):
        collate([])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, None])
def test_batch_size_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(index_dataset(3), batch_size=bad)


def test_dataloader_rejects_non_datasets():
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(42)


# ---------------------------------------------------------------------------------------------- splits
def test_random_split_counts_partition_the_dataset():
    ds = index_dataset(20)
    parts = random_split(ds, [12, 5, 3], seed=0)
    assert [len(p) for p in parts] == [12, 5, 3]
    together = np.concatenate([p.indices for p in parts])
    assert sorted(together.tolist()) == list(range(20))
    again = random_split(ds, [12, 5, 3], seed=0)
    assert all((p.indices == q.indices).all() for p, q in zip(parts, again, strict=True))


def test_random_split_fractions_hand_out_the_remainder_from_the_front():
    parts = random_split(index_dataset(10), [0.33, 0.33, 0.34], seed=1)
    assert [len(p) for p in parts] == [4, 3, 3]  # floors 3, 3, 3; the one left over goes to the first


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.6], [], [11, -1]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(index_dataset(10), lengths)


def test_train_test_split_sizes_alignment_and_types():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, seed=0)
    assert len(x_te) == 3 and len(x_tr) == 7  # ceil(2.5), like scikit-learn
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)
    np.testing.assert_array_equal(x_te[:, 0] // 2, y_te)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    t_tr, t_te = train_test_split(Tensor(np.arange(10.0)), test_size=4, seed=0)
    assert isinstance(t_tr, Tensor) and len(t_te) == 4
    a, b = train_test_split(np.arange(5), test_size=2, shuffle=False)
    assert a.tolist() == [0, 1, 2] and b.tolist() == [3, 4]
    assert [p.tolist() for p in train_test_split(y, seed=3)] == [p.tolist() for p in train_test_split(y, seed=3)]


@pytest.mark.parametrize("test_size", [0, 1.0, 10, 0.0, -0.5, True])
def test_train_test_split_rejects_bad_sizes(test_size):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.arange(10), test_size=test_size)


def test_train_test_split_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match=r"share their first dimension.*\(4,\).*\(5,\)"):
        train_test_split(np.arange(4), np.arange(5))


def test_collate_fn_makes_each_batch_from_the_samples():
    ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    seen = []

    def pairs(samples):
        seen.append(len(samples))
        return [tuple(s[1] for s in samples)]  # returned as it is: no conversion to Tensors

    batches = list(DataLoader(ds, batch_size=2, collate_fn=pairs))
    assert seen == [2, 2, 1] and batches[0] == [(0, 1)] and batches[2] == [(4,)]
    with pytest.raises(TypeError, match="collate_fn must be a function"):
        DataLoader(ds, collate_fn="stack")


@pytest.mark.parametrize("workers", [1, 4, -1])
def test_worker_processes_are_refused_with_the_reason(workers):
    with pytest.raises(ValueError, match=f"num_workers={workers} is not supported, only 0: batches are made in this "
                                         "process"):
        DataLoader(TensorDataset(np.zeros(3)), num_workers=workers)
    assert DataLoader(TensorDataset(np.zeros(3)), num_workers=0).num_workers == 0
